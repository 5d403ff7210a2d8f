"""The call flow lives in versions (0011); the old step table goes."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    db.execute_sql("DROP TABLE IF EXISTS call_flow_step")


def down(migrator, db):
    class PhoneSystem(Model):
        class Meta:
            database = db
            table_name = "phone_system"

    class CallFlowStep(Model):
        created_at = DateTimeField()
        phone_system = ForeignKeyField(PhoneSystem, on_delete="CASCADE")
        position = IntegerField()
        kind = CharField(max_length=16)
        label = CharField()
        target = CharField(default="")
        settings = TextField(default="{}")

        class Meta:
            database = db
            table_name = "call_flow_step"
            indexes = ((("phone_system", "position"), True),)

    db.create_tables([CallFlowStep])
