"""Before its process is published a session's sockets are its staff's: the projector
needs a staff login, and no phone takes part."""

import pytest
from asgiref.sync import sync_to_async

from realtime import protocol
from sessions_app.services.participation import participant_join
from sessions_app.services.processes import process_publish

from .conftest import ORIGIN, Client, phone_headers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def draft(live_session, make_question):
    make_question("single_choice")
    return live_session


async def test_the_projector_of_a_draft_is_for_its_staff(draft, client, organiser):
    path = f"/ws/present/{draft.join_code}/"
    anonymous = Client(path, [ORIGIN])
    assert (await anonymous.connect())[0]
    assert (await anonymous.receive())["code"] == "not_allowed"
    closed = await anonymous.communicator.receive_output(timeout=5)
    assert closed["code"] == protocol.CLOSE_FORBIDDEN
    await sync_to_async(client.force_login)(organiser)
    staff = Client(
        path, [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    )
    assert (await staff.connect())[0]
    assert (await staff.receive())["type"] == "welcome"
    await staff.close()
    await sync_to_async(process_publish)(user=organiser, process=draft.process)
    public = Client(path, [ORIGIN])
    assert (await public.connect())[0]
    assert (await public.receive())["type"] == "welcome"
    await public.close()


async def test_no_phone_takes_part_in_a_draft(draft):
    # A participant made behind the join page's back (it refuses drafts) still cannot.
    participant = await sync_to_async(participant_join)(session=draft, via="room")
    phone = Client(f"/ws/s/{draft.join_code}/", phone_headers(draft, participant))
    assert (await phone.connect())[0]
    assert (await phone.receive())["code"] == "unknown_session"
    closed = await phone.communicator.receive_output(timeout=5)
    assert closed["code"] == protocol.CLOSE_UNKNOWN_SESSION
