"""ReplyWriter: an update is answered once, however many times it is handled."""

from __future__ import annotations

from bot.render.base import Reply
from bot.services.replies import ReplyWriter, edit_key, reply_key
from tests.services.conftest import World


async def test_the_same_update_answered_twice_queues_one_row_and_wakes_once(
    world: World,
) -> None:
    replies: ReplyWriter = world.replies
    await replies.reply(801, 42, Reply("<b>first</b> answer"), quote=7)
    await replies.reply(801, 42, Reply("a different text on the replay"))

    [row] = await world.outbox()
    assert (row.chat_id, row.method, row.dedup_key) == (801, "send_message", reply_key(42))
    assert row.text == "<b>first</b> answer"
    assert row.payload["parse_mode"] == "HTML"
    assert row.payload["reply_parameters"]["message_id"] == 7
    assert world.wakes.count == 1  # nothing new the second time: the sender is not woken


async def test_an_edit_and_a_reply_to_the_same_update_are_both_kept(world: World) -> None:
    await world.replies.reply(801, 43, Reply("answer"))
    await world.replies.edit(801, 99, 43, Reply("edited"))
    await world.replies.edit(801, 99, 43, Reply("edited again"))

    rows = await world.outbox()
    assert [(r.method, r.dedup_key) for r in rows] == [
        ("send_message", reply_key(43)),
        ("edit_message_text", edit_key(43)),
    ]
    assert rows[1].payload["message_id"] == 99 and rows[1].text == "edited"
    assert world.wakes.count == 2


async def test_queuing_nothing_wakes_nobody(world: World) -> None:
    await world.replies.queue_all([])
    assert world.wakes.count == 0
    assert await world.outbox() == []
