"""Every store on one database, built once by the composition root.

One store per aggregate; a service is handed only the stores it needs. This bundle exists so
that the composition root, the CLI and the tests build them in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.broadcasts import BroadcastStore
from storage.curation import CurationStore
from storage.db import Database
from storage.inbox import InboxStore
from storage.live import LiveStore
from storage.moderation import ModerationStore
from storage.outbox import OutboxStore
from storage.participants import ParticipantStore
from storage.parties import PartyStore
from storage.statistics import StatisticsStore
from storage.submissions import SubmissionStore
from storage.translations import TranslationStore
from storage.votes import VoteStore


@dataclass(frozen=True, slots=True)
class Stores:
    db: Database
    inbox: InboxStore
    participants: ParticipantStore
    submissions: SubmissionStore
    translations: TranslationStore
    outbox: OutboxStore
    statistics: StatisticsStore
    moderation: ModerationStore
    curation: CurationStore
    live: LiveStore
    parties: PartyStore
    votes: VoteStore
    broadcasts: BroadcastStore

    @classmethod
    def on(cls, db: Database) -> Stores:
        return cls(
            db=db,
            inbox=InboxStore(db),
            participants=ParticipantStore(db),
            submissions=SubmissionStore(db),
            translations=TranslationStore(db),
            outbox=OutboxStore(db),
            statistics=StatisticsStore(db),
            moderation=ModerationStore(db),
            curation=CurationStore(db),
            live=LiveStore(db),
            parties=PartyStore(db),
            votes=VoteStore(db),
            broadcasts=BroadcastStore(db),
        )
