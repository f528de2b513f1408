"""The site inventory: schema, validation, database store, CSV/Excel import and export, the bundled
example portfolio, geography and AI-hosting readiness."""
