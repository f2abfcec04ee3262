"""IAM Identity Center (SSO): settings, sign-in flows, the token store and role credentials."""
