"""Background workers, each on one supervised loop (`base.SupervisedWorker`): the outbox
sender, the translation worker, the moderators' feed and the broadcast worker.

A worker's loop survives any exception: it logs the type, backs off and goes on, and a
worker that keeps failing shows in /healthz and `townhall-bot stats --ops`.
"""
