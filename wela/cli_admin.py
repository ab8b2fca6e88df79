"""`wela users …`: staff accounts for the web pages (the first manager is made here)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from wela.admin.orm import STAFF_ROLES
from wela.admin.users import ROLE_TH, create_user, get_user, list_users, set_active, set_password
from wela.app import wela
from wela.cli_support import cli_errors, json_option, print_json, print_table
from wela.db import atomic


def register(main: click.Group) -> None:
    main.add_command(users)


@click.group("users", cls=AppGroup)   # AppGroup: every command runs inside the app context
def users() -> None:
    """People who sign in to the web pages (ผู้ใช้ระบบ): managers, headmen, auditors."""


def _audit(s, action: str, target: str, **detail: object) -> None:  # noqa: ANN001
    from wela.admin.audit import audit
    from wela.cli_support import actor

    audit(s, clock=wela().clock, username=actor(None), action=action, target=target, **detail)


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True,
              help="manager (everything), headman (announcements, reports), auditor (read only)")
@click.option("--name", "display_name", default="", help="the name shown on the pages")
@click.option("--password", default=None, help="asked for when not given (safer: not kept in shell history)")
@cli_errors
def add(username: str, role: str, display_name: str, password: str | None) -> None:
    """Create an account that can sign in to the web pages."""
    if password is None:
        password = click.prompt("รหัสผ่าน / password", hide_input=True, confirmation_prompt=True)
    w = wela()
    w.upgrade()

    def work(s):  # noqa: ANN001, ANN202
        user = create_user(s, username=username, role=role, password=password, clock=w.clock,
                           display_name=display_name)
        _audit(s, "user:add", f"user:{user.id}", role=role, account=user.username)
        return user

    user = atomic(w.sessions, work)
    click.echo(f"เพิ่มผู้ใช้แล้ว / user added: {user.username} ({ROLE_TH[user.role]} / {user.role})")


@users.command("list")
@json_option
@cli_errors
def list_(as_json: bool) -> None:
    """List the accounts."""
    with wela().reads() as s:
        rows = [{"username": u.username, "name": u.display_name, "role": u.role, "active": u.active,
                 "created": u.created_at, "last_login": u.last_login_at} for u in list_users(s)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["username", "name", "role", "active", "last_login"])


@users.command("password")
@click.argument("username")
@click.option("--password", default=None, help="asked for when not given")
@cli_errors
def password(username: str, password: str | None) -> None:
    """Set a new password (for someone who forgot theirs)."""
    if password is None:
        password = click.prompt("รหัสผ่านใหม่ / new password", hide_input=True, confirmation_prompt=True)

    def work(s):  # noqa: ANN001, ANN202
        user = get_user(s, username)
        set_password(s, user, password)
        _audit(s, "user:password", f"user:{user.id}")
        return user

    atomic(wela().sessions, work)
    click.echo("ตั้งรหัสผ่านใหม่แล้ว / password changed")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="turn the account back on")
@cli_errors
def disable(username: str, enable: bool) -> None:
    """Stop (or with --enable, allow again) an account from signing in."""
    def work(s):  # noqa: ANN001, ANN202
        user = get_user(s, username)
        set_active(s, user, enable)
        _audit(s, "user:active", f"user:{user.id}", active=enable)
        return user

    atomic(wela().sessions, work)
    click.echo("เปิดใช้บัญชีแล้ว / enabled" if enable else "ปิดบัญชีแล้ว / disabled")
