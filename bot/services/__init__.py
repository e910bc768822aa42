"""Application services: the one way handlers, adapters and delivery change what is stored.

Each service is built once by the composition root (:mod:`bot.core`) with only the
tables and collaborators it uses, and a change and its consequence happen in one
call: subscribing reschedules, a filter change refreshes the personal matcher.
"""
