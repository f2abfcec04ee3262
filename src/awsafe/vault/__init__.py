"""Secret storage: a small Store protocol and one module per backend."""
