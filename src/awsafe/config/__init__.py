"""~/.aws/config: parse (pure) -> resolve profiles (pure) -> load (the file I/O edge)."""
