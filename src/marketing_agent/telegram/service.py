"""The telegram module's public API: what other modules call, re-exported from the files that
hold it (senders.py, sending.py, inbound.py, bots.py, bot_chats.py, account_chats.py,
consent_texts.py, sender_secrets.py), and the process's transport pool.

Other modules import only this file (tests/test_architecture.py checks it).
"""

from __future__ import annotations

from marketing_agent.core.crypto import SecretBox
from marketing_agent.telegram.account_chats import add_chat_members as add_chat_members
from marketing_agent.telegram.account_chats import create_chat as create_chat
from marketing_agent.telegram.bot_chats import count_unreachable as count_unreachable
from marketing_agent.telegram.bot_chats import erase_chat as erase_chat
from marketing_agent.telegram.bot_chats import record_chats_seen as record_chats_seen
from marketing_agent.telegram.bot_chats import record_chats_started as record_chats_started
from marketing_agent.telegram.bots import WEBHOOK_PATH as WEBHOOK_PATH
from marketing_agent.telegram.bots import check_bot_token as check_bot_token
from marketing_agent.telegram.bots import check_webhook_secret as check_webhook_secret
from marketing_agent.telegram.bots import delete_webhook as delete_webhook
from marketing_agent.telegram.bots import identify_bot as identify_bot
from marketing_agent.telegram.bots import read_webhook_update as read_webhook_update
from marketing_agent.telegram.bots import set_webhook as set_webhook
from marketing_agent.telegram.consent_texts import consent_proof as consent_proof
from marketing_agent.telegram.consent_texts import consent_reply as consent_reply
from marketing_agent.telegram.consent_texts import join_request_of as join_request_of
from marketing_agent.telegram.consent_texts import join_request_proof as join_request_proof
from marketing_agent.telegram.consent_texts import opt_in_text as opt_in_text
from marketing_agent.telegram.inbound import INBOUND_MAX_FAILURES as INBOUND_MAX_FAILURES
from marketing_agent.telegram.inbound import StoredUpdate as StoredUpdate
from marketing_agent.telegram.inbound import claim_inbound as claim_inbound
from marketing_agent.telegram.inbound import confirm_updates as confirm_updates
from marketing_agent.telegram.inbound import delete_inbound_before as delete_inbound_before
from marketing_agent.telegram.inbound import fetch_updates as fetch_updates
from marketing_agent.telegram.inbound import record_inbound_failure as record_inbound_failure
from marketing_agent.telegram.inbound import store_inbound as store_inbound
from marketing_agent.telegram.pool import TransportPool as TransportPool

# The read types and message types other modules use with this service, re-exported here so
# nothing outside the module imports deeper than its service.
from marketing_agent.telegram.profiles import CAPTION_MAX_UTF16 as CAPTION_MAX_UTF16
from marketing_agent.telegram.profiles import TEXT_MAX_UTF16 as TEXT_MAX_UTF16
from marketing_agent.telegram.profiles import SenderProfile as SenderProfile
from marketing_agent.telegram.profiles import cut_to_telegram_length as cut_to_telegram_length
from marketing_agent.telegram.profiles import telegram_text_length as telegram_text_length
from marketing_agent.telegram.sender_info import SenderInfo as SenderInfo
from marketing_agent.telegram.sender_secrets import ENCRYPTED_COLUMNS as ENCRYPTED_COLUMNS
from marketing_agent.telegram.sender_secrets import reencrypt_secrets as reencrypt_secrets
from marketing_agent.telegram.senders import DEMO_SENDER_NAME as DEMO_SENDER_NAME
from marketing_agent.telegram.senders import create_sender as create_sender
from marketing_agent.telegram.senders import create_user_account as create_user_account
from marketing_agent.telegram.senders import ensure_demo_sender as ensure_demo_sender
from marketing_agent.telegram.senders import get_sender as get_sender
from marketing_agent.telegram.senders import get_sender_by_name as get_sender_by_name
from marketing_agent.telegram.senders import get_sender_or_raise as get_sender_or_raise
from marketing_agent.telegram.senders import list_active_senders as list_active_senders
from marketing_agent.telegram.senders import list_profiles as list_profiles
from marketing_agent.telegram.senders import list_senders as list_senders
from marketing_agent.telegram.senders import load_sender as load_sender
from marketing_agent.telegram.senders import load_senders as load_senders
from marketing_agent.telegram.senders import record_sender_health as record_sender_health
from marketing_agent.telegram.senders import set_sender_status as set_sender_status
from marketing_agent.telegram.sending import TEST_MAX_WAIT_S as TEST_MAX_WAIT_S
from marketing_agent.telegram.sending import approve_join_request as approve_join_request
from marketing_agent.telegram.sending import send_answer as send_answer
from marketing_agent.telegram.sending import send_message as send_message
from marketing_agent.telegram.sending import send_test_message as send_test_message
from marketing_agent.telegram.transport import Button as Button
from marketing_agent.telegram.transport import ChatKind as ChatKind
from marketing_agent.telegram.transport import InboundEvent as InboundEvent
from marketing_agent.telegram.transport import JoinRequest as JoinRequest
from marketing_agent.telegram.transport import Media as Media
from marketing_agent.telegram.transport import MediaKind as MediaKind
from marketing_agent.telegram.transport import OutgoingMessage as OutgoingMessage
from marketing_agent.telegram.transport import SendOutcome as SendOutcome
from marketing_agent.telegram.transport import SendStatus as SendStatus
from marketing_agent.telegram.transport import chat_kind_of as chat_kind_of
from marketing_agent.telegram.transport import is_group_chat as is_group_chat


def open_transports(
    *, secret_box: SecretBox | None = None, bot_api_url: str | None = None
) -> TransportPool:
    """Returns a new transport pool: one per process, built by its runtime (Runtime.transports)
    and handed to every function here that reaches a transport."""
    return TransportPool(secret_box=secret_box, bot_api_url=bot_api_url)
