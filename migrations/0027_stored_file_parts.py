"""A stored file's content in parts of a megabyte (issue 10).

An export of 1,000,000 subscriptions is a CSV of about 100 MB. Kept as one value, the worker
read it whole and the driver copied it for the INSERT (840 MiB at the peak on PostgreSQL), and
every download, and every poll of the finished job's status, read it whole again. In parts the
worker stores and the web process sends it a megabyte at a time (services/stored_files.py); the
file's row and its parts are written in one transaction, so a file is whole whenever it is
visible, as before. Existing files become one part each.
"""
from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, PostgresqlDatabase


def up(migrator, db):
    class StoredFile(Model):
        created_at = DateTimeField()
        key = CharField(max_length=120, unique=True)

        class Meta:
            database = db
            table_name = "stored_file"

    class StoredFilePart(Model):
        file = ForeignKeyField(StoredFile, on_delete="CASCADE", index=False)
        number = IntegerField()
        data = BlobField()

        class Meta:
            database = db
            table_name = "stored_file_part"
            indexes = ((("file", "number"), True),)

    db.create_tables([StoredFilePart])
    db.execute_sql("INSERT INTO stored_file_part (file_id, number, data) SELECT id, 0, data FROM stored_file")
    migrator.migrate(migrator.drop_column("stored_file", "data"))


def down(migrator, db):
    kind, empty = ("BYTEA", "''::bytea") if isinstance(db, PostgresqlDatabase) else ("BLOB", "X''")
    db.execute_sql(f"ALTER TABLE stored_file ADD COLUMN data {kind} NOT NULL DEFAULT {empty}")
    # only files of one part come back whole; the rest are dropped (their jobs' results say so)
    db.execute_sql("DELETE FROM stored_file WHERE id IN (SELECT file_id FROM stored_file_part WHERE number > 0)")
    db.execute_sql("UPDATE stored_file SET data = COALESCE((SELECT p.data FROM stored_file_part p "
                   f"WHERE p.file_id = stored_file.id AND p.number = 0), {empty})")
    db.execute_sql("DROP TABLE stored_file_part")
