"""Platform-neutral command handlers, one class per concern.

Importing this package registers nothing: the composition root (:mod:`bot.core`)
builds each handler class with the services it uses and registers it with the
dispatcher.
"""
