"""Help requests, volunteer matching, offers, reminders and confirmation of service."""
