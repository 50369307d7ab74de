from app.auth import services


def send_welcome_email(user_id):
    services.welcome_member(user_id)
