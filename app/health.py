"""GET /healthz for load balancers and orchestrators: 200 when the database (and Redis, when
configured) answer, 503 naming the part that does not."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("health", __name__)


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as e:  # any failure is the answer, not a 500
        db.session.rollback()
        return f"failing: {type(e).__name__}"


def _redis() -> str:
    url = current_app.config["REDIS_URL"]
    if not url:
        return "not configured"
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        return "ok"
    except redis.RedisError as e:
        return f"failing: {type(e).__name__}"
    finally:
        client.close()


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = {"database": _database(), "redis": _redis()}
    healthy = all(not value.startswith("failing") for value in checks.values())
    response = jsonify(status="ok" if healthy else "failing", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
