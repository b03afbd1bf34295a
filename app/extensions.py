"""Flask extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from typing import TYPE_CHECKING

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

# The base of every model. Flask-SQLAlchemy builds ``db.Model`` at run time from ``Base``, so a
# type checker cannot see it as a class; models subclass ``Model``, which it sees as ``Base``.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
