"""Phone menus (IVR) in Thai: the menu as a plain state machine, rendered to TwiML."""
