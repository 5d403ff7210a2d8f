"""Jobs never vanish: a job row keeps how it runs (attempts, timeout, heartbeat, the RQ job of
its current attempt, what to run again) and why it failed; files made by jobs (exports, PDFs)
are kept in the database, so every web machine serves what any worker made. A bulk item can be
claimed while its change is applied."""
from peewee import BlobField, CharField, DateTimeField, IntegerField, Model, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("job_record", "func", CharField(default="")),
        migrator.add_column("job_record", "payload", TextField(default="")),
        migrator.add_column("job_record", "rq_id", CharField(max_length=48, default="")),
        migrator.add_column("job_record", "attempts", IntegerField(default=0)),
        migrator.add_column("job_record", "max_attempts", IntegerField(default=1)),
        migrator.add_column("job_record", "timeout_seconds", IntegerField(default=600)),
        migrator.add_column("job_record", "reason", CharField(max_length=32, default="")),
        migrator.add_column("job_record", "started_at", DateTimeField(null=True)),
        migrator.add_column("job_record", "heartbeat_at", DateTimeField(null=True)),
        migrator.add_index("job_record", ("status", "heartbeat_at"), False),
        migrator.add_index("job_record", ("user_id", "status"), False),
    )

    class StoredFile(Model):
        created_at = DateTimeField()
        key = CharField(max_length=120, unique=True)
        job_id = CharField(max_length=36, null=True, index=True)
        content_type = CharField(max_length=64)
        size = IntegerField()
        data = BlobField()

        class Meta:
            database = db
            table_name = "stored_file"
            indexes = ((("created_at",), False),)

    db.create_tables([StoredFile])


def down(migrator, db):
    db.execute_sql("DROP TABLE IF EXISTS stored_file")
    migrator.migrate(
        migrator.drop_index("job_record", "job_record_status_heartbeat_at"),
        migrator.drop_index("job_record", "job_record_user_id_status"),
        *[migrator.drop_column("job_record", name) for name in (
            "func", "payload", "rq_id", "attempts", "max_attempts", "timeout_seconds", "reason", "started_at",
            "heartbeat_at")],
    )
