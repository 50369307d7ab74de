"""Extension objects, created unbound and initialised by create_app."""
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
# Redis down: requests that find it gone at the same moment race to switch to in-memory counting (see
# configure_settings); the losers are let through and logged instead of answering 500. Set here, not in the
# config: the limiter keeps the first app's choice. Memory storage never fails, so this changes nothing there.
limiter = Limiter(get_remote_address, swallow_errors=True)


def insert_if_absent(model, **values):
    """INSERT … ON CONFLICT DO NOTHING; True when a row was inserted.

    For rows keyed by who and what (a follow, an acceptance): a double click
    or two tabs at once insert one row and never raise.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    primary_key = [column.name for column in model.__table__.primary_key.columns]
    statement = insert.values(**values).on_conflict_do_nothing().returning(*(model.__table__.c[k] for k in primary_key))
    return db.session.execute(statement).first() is not None
