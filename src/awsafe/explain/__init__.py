"""`awsafe explain`: how a profile resolves, where each setting came from, the calls a miss makes."""
