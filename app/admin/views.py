"""Admin views."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.admin import admin_required, bp
from app.extensions import db
from app.models import SmsUser, TrackingNumber


@bp.route("/numbers")
@admin_required
def numbers():
    """The account's tracking numbers with their SMS state and SMS users."""
    rows = db.session.scalars(
        select(TrackingNumber)
        .where(TrackingNumber.account_id == current_user.account_id)
        .order_by(TrackingNumber.id)
        .options(selectinload(TrackingNumber.sms_users).selectinload(SmsUser.user))
    ).all()
    return render_template("admin/numbers.html", numbers=rows)
