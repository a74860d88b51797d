"""Directory sign-in: LDAP/AD (django-auth-ldap) and OIDC (Authlib), with directory groups mapped
to ipplan roles and departments by the security administrator."""
