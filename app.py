"""Entry point: `flask --app app run`, or `python app.py` to serve with waitress."""

import os

from inspection import create_app

app = create_app()

if __name__ == "__main__":
    from waitress import serve

    serve(
        app,
        host=os.environ.get("INSPECTION_HOST", "127.0.0.1"),
        port=int(os.environ.get("INSPECTION_PORT", "5000")),
        threads=int(os.environ.get("INSPECTION_THREADS", "8")),
    )
