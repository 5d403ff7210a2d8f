# `flask` finds the app without --app (python-dotenv reads this file)
FLASK_APP=app
