"""The link between awsafe clients and a running agent: where its socket is, the frames on it,
and the lean client; stdlib only (the fast path imports it), no typing at run time."""
