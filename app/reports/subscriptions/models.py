"""Weekly report mails: who receives which report view on which weekday, and the weeks
already mailed (one row per subscription and week, so a second run of the week sends none)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.i18n.formats import weekday_name
from app.timeutils import utc_now

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Subscription(Model):
    """One person receives a report's weekly figures on ``weekday`` (0 Monday ... 6 Sunday):
    either a saved view of theirs (``saved_view_id``; deleting the view ends the
    subscription) or a report page as it is (``endpoint``) with the query ``query``."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    saved_view_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_saved_views.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(2000), default="")
    weekday: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    user = relationship("User")
    saved_view = relationship("SavedView")

    @property
    def weekday_name(self) -> str:
        """The day's name in the reader's language (``WEEKDAYS`` names it in the logs)."""
        return weekday_name(self.weekday)

    def __repr__(self) -> str:
        return f"<Subscription {self.id} of {self.user_id} on {WEEKDAYS[self.weekday]}>"


class Mailing(Model):
    """The report of one week (``week`` is its Monday) mailed for one subscription."""

    __tablename__ = "report_mailings"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("report_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    mail_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbound_mails.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime] = mapped_column(default=utc_now)
