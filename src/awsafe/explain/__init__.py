"""`awsafe explain`: how a profile resolves, where each setting came from, and the calls a cache miss makes."""
