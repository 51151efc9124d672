"""The client web: server-rendered pages (`pages`) and signing in and out (`sign_in`), with CSRF on
every form and sessions kept server-side. It calls the domain directly, never the JSON API's modules."""
