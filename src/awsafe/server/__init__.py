"""Local credential endpoints (ECS container protocol): pure routing plus a thin socket layer."""
