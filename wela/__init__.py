"""Composition root: settings, database, migrations, the Flask app factory, admin web and CLI."""
