"""Scale-out profile: configuration files, and the lock store its Rasa processes share."""
