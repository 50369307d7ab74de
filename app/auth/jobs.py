from app.auth import services


def send_welcome_email(user_id):
    services.welcome_member(user_id)


def send_password_reset(user_id, site_url):
    from app.auth import recovery

    recovery.send_reset_link(user_id, site_url)
