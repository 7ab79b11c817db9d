"""One blueprint per feature; `api` is the JSON API of API.md."""
