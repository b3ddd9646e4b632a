"""The REST API for integrations (CRM, ERP, partner systems): above every app, importing them;
none of them imports it."""
