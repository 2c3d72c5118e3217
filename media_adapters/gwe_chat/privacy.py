"""What the built-in chat keeps of visits beyond their cascade (gwe/privacy.py): chats with
their messages, kept by visit id so that a transcript outlives the tracking data, and the
messages visitors left."""

from typing import Any

from media_adapters.gwe_chat.models import Chat, ChatMessage, LeftMessage


def chats_export(visit_ids: list[str]) -> list[dict[str, Any]]:
    chats = (
        Chat.objects.filter(visit_id__in=visit_ids)
        .prefetch_related("messages")
        .order_by("created_at")
    )
    return [
        {
            "chatID": chat.pk,
            "visitID": chat.visit_id,
            "pageID": chat.page_id,
            "state": chat.state,
            "createdAt": chat.created_at,
            "endedAt": chat.ended_at,
            "attachedData": chat.attached_data,
            "messages": [
                {"seq": m.seq, "sender": m.sender, "text": m.text, "sentAt": m.sent_at}
                for m in chat.messages.order_by("seq")
            ],
        }
        for chat in chats
    ]


def left_messages_export(visit_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "messageID": left.pk,
            "visitID": left.visit_id,
            "name": left.name,
            "email": left.email,
            "phone": left.phone,
            "callBack": left.call_back,
            "text": left.text,
            "url": left.url,
            "leftAt": left.created_at,
        }
        for left in LeftMessage.objects.filter(visit_id__in=visit_ids).order_by("created_at")
    ]


def chats_erase(visit_ids: list[str]) -> dict[str, int]:
    chats = Chat.objects.filter(visit_id__in=visit_ids)
    messages = ChatMessage.objects.filter(chat__in=chats).delete()[0]
    left = LeftMessage.objects.filter(visit_id__in=visit_ids).delete()[0]
    return {"chatMessages": messages, "chats": chats.delete()[0], "leftMessages": left}


def nothing_more(visit_ids: list[str]) -> dict[str, int]:
    return {}  # erased with the chats
