"""SMS for volunteers and members: command parser, gateways, outbox and delivery status."""
