"""Thai speech: the prompt catalogue, speakable Thai text, speech engines and announcements."""
