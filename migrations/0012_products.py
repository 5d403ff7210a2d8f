"""Products: the phone system's users (extensions on subscriptions) with four profiles each and
where each profile forwards calls; one vacation reply per subscription; personal numbers with a
default target (a number, a user or voicemail) and a schedule of rules per weekday.

Until now a `user_profile` row was a user (name, presence, forward_to). Each becomes a
`phone_user` (extension 201, 202… in the order they were made) whose profile of that presence
keeps the forwarding; the other three profiles forward nowhere. A row without a subscription
cannot ring anything and is dropped.
"""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model

PRESENCE_TO_PROFILE = {"available": "available", "busy": "meeting", "away": "away"}
PROFILE_KINDS = ("available", "meeting", "lunch", "away")
FIRST_EXTENSION = 201


def _tables(db):
    """Frozen copies of the tables as this migration leaves them (new ones, and the ones it reads)."""
    def table(table_name, **fields):
        meta = type("Meta", (), {"database": db, "table_name": table_name})
        return type(table_name, (Model,), {"Meta": meta, **fields})

    subscription, phone_system = table("subscription"), table("phone_system")
    personal_number = table("personal_number")
    phone_user = table(
        "phone_user", created_at=DateTimeField(),
        phone_system=ForeignKeyField(phone_system, on_delete="CASCADE"),
        subscription=ForeignKeyField(subscription, unique=True), extension=CharField(max_length=8),
        name=CharField(), search_key=CharField(default=""),
        active_profile=CharField(max_length=16, default="available"))
    phone_user._meta.indexes = [(("phone_system", "extension"), True), (("phone_system", "name"), False)]
    rule = table(
        "personal_number_rule", personal_number=ForeignKeyField(personal_number, on_delete="CASCADE"),
        position=IntegerField(), days=CharField(max_length=7), starts=CharField(max_length=5),
        ends=CharField(max_length=5), target_kind=CharField(max_length=16),
        target_number=CharField(max_length=32, default=""),
        target_user=ForeignKeyField(phone_user, null=True, on_delete="SET NULL"))
    rule._meta.indexes = [(("personal_number", "position"), True)]
    profile = table(
        "user_profile", created_at=DateTimeField(),
        phone_system=ForeignKeyField(phone_system, on_delete="CASCADE"),
        phone_user=ForeignKeyField(phone_user, null=True, on_delete="CASCADE"),
        subscription=ForeignKeyField(subscription, null=True), kind=CharField(max_length=16),
        forward_kind=CharField(max_length=16, default="none"),
        forward_user=ForeignKeyField(phone_user, null=True, on_delete="SET NULL"),
        forward_to=CharField(default=""))
    pn = table("personal_number", default_user=ForeignKeyField(phone_user, null=True, on_delete="SET NULL"))
    return phone_user, rule, profile, pn


def up(migrator, db):
    phone_user, rule, profile, pn = _tables(db)
    db.create_tables([phone_user, rule])
    migrator.migrate(
        migrator.add_column("user_profile", "phone_user_id", profile.phone_user),
        migrator.add_column("user_profile", "forward_kind", CharField(max_length=16, default="none")),
        migrator.add_column("user_profile", "forward_user_id", profile.forward_user),
        migrator.rename_column("user_profile", "presence", "kind"),
        migrator.add_column("personal_number", "default_kind", CharField(max_length=16, default="number")),
        migrator.add_column("personal_number", "default_user_id", pn.default_user),
    )
    _users_from_profiles(db, phone_user)
    migrator.migrate(
        migrator.drop_column("user_profile", "name"),
        migrator.add_not_null("user_profile", "phone_user_id"),
        migrator.add_index("user_profile", ("phone_user_id", "kind"), True),
    )
    # one vacation reply per subscription: the newest stays
    db.execute_sql("DELETE FROM vacation_reply WHERE id NOT IN "
                   "(SELECT MAX(id) FROM vacation_reply GROUP BY subscription_id)")
    migrator.migrate(
        migrator.drop_index("vacation_reply", "vacationreply_subscription_id"),
        migrator.add_index("vacation_reply", ("subscription_id",), True),
    )


def _users_from_profiles(db, phone_user):
    rows = db.execute_sql(
        "SELECT id, created_at, phone_system_id, subscription_id, name, kind, forward_to "
        "FROM user_profile ORDER BY phone_system_id, id").fetchall()
    next_extension, seen = {}, set()
    param = db.param
    for row_id, created_at, system_id, subscription_id, name, presence, forward_to in rows:
        if subscription_id is None or subscription_id in seen:
            db.execute_sql(f"DELETE FROM user_profile WHERE id = {param}", (row_id,))
            continue
        seen.add(subscription_id)
        extension = str(next_extension.setdefault(system_id, FIRST_EXTENSION))
        next_extension[system_id] += 1
        kind = PRESENCE_TO_PROFILE.get(presence, "available")
        user = phone_user.create(created_at=created_at, phone_system=system_id, subscription=subscription_id,
                                 extension=extension, name=name, search_key=f"{name.lower()} {extension}",
                                 active_profile=kind)
        db.execute_sql(
            f"UPDATE user_profile SET phone_user_id = {param}, kind = {param}, forward_kind = {param} "
            f"WHERE id = {param}", (user.id, kind, "number" if forward_to else "none", row_id))
        for other in PROFILE_KINDS:
            if other != kind:
                db.execute_sql(
                    "INSERT INTO user_profile (created_at, phone_system_id, phone_user_id, subscription_id, kind, "
                    f"forward_kind, forward_to, name) VALUES ({param}, {param}, {param}, {param}, {param}, 'none', '', "
                    f"{param})", (created_at, system_id, user.id, subscription_id, other, name))


def down(migrator, db):
    phone_user, rule, _profile, _pn = _tables(db)
    # a user becomes one row again: its active profile's
    db.execute_sql("DELETE FROM user_profile WHERE kind <> (SELECT active_profile FROM phone_user "
                   "WHERE phone_user.id = user_profile.phone_user_id)")
    migrator.migrate(
        migrator.drop_index("vacation_reply", "vacation_reply_subscription_id"),
        migrator.drop_index("user_profile", "user_profile_phone_user_id_kind"),
        migrator.add_column("user_profile", "name", CharField(default="")),
    )
    db.execute_sql("UPDATE user_profile SET name = (SELECT name FROM phone_user WHERE phone_user.id = "
                   "user_profile.phone_user_id)")
    migrator.migrate(
        migrator.drop_index("user_profile", "user_profile_phone_user_id"),
        migrator.drop_index("user_profile", "user_profile_forward_user_id"),
        migrator.drop_index("personal_number", "personal_number_default_user_id"),
        migrator.rename_column("user_profile", "kind", "presence"),
        migrator.drop_column("user_profile", "phone_user_id"),
        migrator.drop_column("user_profile", "forward_kind"),
        migrator.drop_column("user_profile", "forward_user_id"),
        migrator.drop_column("personal_number", "default_kind"),
        migrator.drop_column("personal_number", "default_user_id"),
    )
    db.execute_sql("UPDATE user_profile SET presence = 'busy' WHERE presence IN ('meeting', 'lunch')")
    db.execute_sql('CREATE INDEX "vacationreply_subscription_id" ON "vacation_reply" ("subscription_id")')
    db.drop_tables([rule, phone_user])
