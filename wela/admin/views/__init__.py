"""One blueprint per area of the admin pages, each named `bp`."""
