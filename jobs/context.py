"""The app a job runs in: the one that enqueued it, or one made once per worker process."""
_app = None
_redis = None


def bind(app):
    global _app, _redis
    _app = app
    _redis = None  # a new app may name another Redis


def get_app():
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def redis():
    global _redis
    if _redis is None:
        from redis import Redis

        _redis = Redis.from_url(get_app().config["REDIS_URL"])
    return _redis
