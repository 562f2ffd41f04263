"""A bare Flask app, the yardstick the page benchmark compares against (`gunicorn hello_app:app`)."""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "Hello, World!"
