"""The database proxy and the base model every table derives from."""
import datetime

from peewee import DatabaseProxy, DateTimeField, Model

db = DatabaseProxy()


def utcnow():
    """Naive UTC timestamp: what every DateTimeField holds."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def today():
    return utcnow().date()


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class TimestampedModel(BaseModel):
    created_at = DateTimeField(default=utcnow)
