"""Start-up checks: in production (APP_ENV=production) the app refuses settings that are only
safe on a developer's machine, and says which, instead of starting half right."""

from flask import Flask

from app.config import DEV_HOST, DEV_SECRET_KEY

MIN_SECRET_KEY_LENGTH = 24


class NotReadyForProduction(RuntimeError):
    """The settings are those of a developer's machine; the message lists each problem."""


def problems(config) -> list[str]:
    """What stops these settings from running in production; empty when nothing does."""
    found = []
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH:
        found.append(
            f"SECRET_KEY is unset or the development default: set a random one of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters (sessions and signed links depend on it)."
        )
    if config.get("SMS_PROVIDER") != "twilio":
        found.append(
            "SMS_PROVIDER is the simulated carrier: set SMS_PROVIDER=twilio, or no text reaches "
            "anyone."
        )
    else:
        if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")):
            found.append("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
        # Any user may turn SMS notifications on; a Messaging Service picks its own sender.
        if not (config.get("NOTIFY_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
            found.append(
                "NOTIFY_FROM_NUMBER is missing: set the number SMS notifications to users are "
                "sent from."
            )
    if not config.get("REDIS_URL"):
        found.append(
            "REDIS_URL is missing: set the Redis that web processes and workers share. Without it "
            "rate limits (logins, the widget) and jobs live in each process's memory, so each of "
            "several processes lets through its own full count."
        )
    base = config.get("PUBLIC_BASE_URL") or ""
    # The default, on this machine's loopback, is no address customers or Twilio can reach.
    if base.startswith(DEV_HOST) or not base.startswith(("https://", "http://")):
        found.append(
            "PUBLIC_BASE_URL is missing: set the address customers and Twilio reach the app at "
            "(webhook signatures, links in notifications and the widget are built from it)."
        )
    elif not base.startswith("https://"):
        found.append(
            "PUBLIC_BASE_URL is not HTTPS: passwords, session cookies and customers' texts would "
            "cross the internet readable by anyone on the way. Serve the app over HTTPS."
        )
    return found


def check(app: Flask) -> None:
    """Raise NotReadyForProduction when APP_ENV=production and the settings are not fit for it."""
    if app.config["APP_ENV"] != "production":
        return
    if found := problems(app.config):
        raise NotReadyForProduction(
            "Refusing to start in production:\n" + "\n".join(f"- {p}" for p in found)
        )
