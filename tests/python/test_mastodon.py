"""Mastodon.py, unchanged, against Chirp's Mastodon client API.

The library registers an app, signs up and signs in (password grant), reads the home and
public timelines with paging, posts (with images made here, and their descriptions),
replies, favourites, follows, reads a context and notifications, deletes, and streams over
Server-Sent Events — as a script written for Mastodon would. A raw SSE client checks
`Last-Event-ID` replay.
"""

import json
import re
import struct
import threading
import time
import uuid
import zlib

import pytest
import requests
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError, StreamListener

from conftest import PASSWORD

SCOPES = ["read", "write", "follow"]


def name(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def app(chirp):
    """An app registered through Mastodon.py: (client_id, client_secret)."""
    return Mastodon.create_app("Mastodon.py test", api_base_url=chirp.url, scopes=SCOPES)


def signed_up(chirp, app, prefix):
    """A new account made through the API (client credentials, then sign-up), signed in."""
    client_id, client_secret = app
    anonymous = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=chirp.url)
    username = name(prefix)
    anonymous.create_account(username, PASSWORD, f"{username}@example.com", agreement=True, scopes=SCOPES)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=chirp.url)
    # allow_http: the test server is plain HTTP on loopback.
    api.log_in(username, PASSWORD, scopes=SCOPES, allow_http=True)
    return api, username


def test_the_version_is_read_as_mastodon_4_3(chirp, app):
    api = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=chirp.url)
    assert api.retrieve_mastodon_version().startswith("4.3.0")
    instance = api.instance()
    assert instance.configuration.statuses.max_characters == 280


def test_sign_in_post_reply_favourite_follow_and_notifications(chirp, app):
    ada, ada_name = signed_up(chirp, app, "ada")
    bob, bob_name = signed_up(chirp, app, "bob")
    me = ada.account_verify_credentials()
    assert me.username == ada_name
    bob_account = ada.account_lookup(bob_name)
    relationship = ada.account_follow(bob_account)
    assert relationship.following is True

    post = bob.status_post("Hello from #Mastodon.py & friends")
    assert "&amp; friends" in post.content
    reply = ada.status_reply(post, "nice one")
    assert reply.in_reply_to_id == post.id
    assert f"@<span>{bob_name}</span>" in reply.content
    faved = ada.status_favourite(post)
    assert faved.favourited is True and faved.favourites_count == 1
    assert [a.username for a in bob.status_favourited_by(post)] == [ada_name]

    context = bob.status_context(post)
    assert [s.id for s in context.descendants] == [reply.id]
    assert [s.id for s in ada.status_context(reply).ancestors] == [post.id]

    notes = bob.notifications()
    assert [n.type for n in notes] == ["favourite", "mention", "follow"]
    assert notes[0].status.id == post.id and notes[1].status.id == reply.id
    assert notes[2].account.username == ada_name
    bob.notifications_dismiss(notes[0])
    assert len(bob.notifications()) == 2
    bob.notifications_clear()
    assert bob.notifications() == []

    home = ada.timeline_home()
    assert [s.id for s in home][:2] == [reply.id, post.id]

    deleted = ada.status_delete(reply)
    assert deleted.text == "@" + bob_name + " nice one"
    with pytest.raises(MastodonNotFoundError):
        ada.status(reply.id)


def png(width, height, rgb):
    """A real PNG of one colour, made here."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_post_with_images_and_their_descriptions(chirp, app):
    api, _ = signed_up(chirp, app, "painter")
    red = api.media_post(png(32, 24, (200, 30, 30)), mime_type="image/png", description="a red rectangle",
                         focus=(0.5, -0.5))
    assert red.type == "image" and red.url.startswith(chirp.url)
    assert red.description == "a red rectangle"
    assert (red.meta.original.width, red.meta.original.height) == (32, 24)
    # Processed before the answer: `url` is set, and reading it back needs no polling.
    assert api.media(red).url == red.url
    red = api.media_update(red, description="a red rectangle, 32 by 24")
    assert red.description == "a red rectangle, 32 by 24"
    blue = api.media_post(png(8, 8, (0, 0, 255)), mime_type="image/png")
    assert blue.description is None

    post = api.status_post("two pictures", media_ids=[red, blue])
    assert [m.id for m in post.media_attachments] == [red.id, blue.id]
    assert post.media_attachments[0].description == "a red rectangle, 32 by 24"
    assert [m.id for m in api.status(post.id).media_attachments] == [red.id, blue.id]
    served = requests.get(post.media_attachments[0].url, timeout=10)
    # Re-encoded: an opaque image is served as a JPEG.
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content.startswith(b"\xff\xd8\xff") and len(served.content) > 100
    # Attached: no longer an upload to read, nor to attach again.
    with pytest.raises(MastodonNotFoundError):
        api.media(red)
    with pytest.raises(MastodonAPIError) as refused:
        api.status_post("again", media_ids=[red])
    assert refused.value.args[1] == 422

    # Images alone, no text.
    green = api.media_post(png(4, 4, (0, 200, 0)), mime_type="image/png", description="green")
    quiet = api.status_post("", media_ids=[green])
    assert quiet.content == "" and quiet.media_attachments[0].description == "green"
    # Not an image: refused in Mastodon's shape.
    with pytest.raises(MastodonAPIError) as refused:
        api.media_post(b"<html>not an image</html>", mime_type="image/png")
    assert refused.value.args[1] == 422


def test_timelines_page_with_fetch_next_and_previous(chirp, app):
    api, _ = signed_up(chirp, app, "pager")
    ids = [api.status_post(f"page {n}").id for n in range(5)]
    first = api.timeline_public(limit=2)
    assert [s.id for s in first] == [ids[4], ids[3]]
    second = api.fetch_next(first)
    assert [s.id for s in second] == [ids[2], ids[1]]
    back = api.fetch_previous(second)
    assert [s.id for s in back] == [ids[4], ids[3]]
    everything = api.fetch_remaining(api.timeline_home(limit=2))
    assert [s.id for s in everything][:5] == list(reversed(ids))


def test_a_read_only_token_cannot_post(chirp, app):
    _, username = signed_up(chirp, app, "reader")
    reader = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=chirp.url)
    reader.log_in(username, PASSWORD, scopes=["read"], allow_http=True)
    assert reader.account_verify_credentials().username == username
    with pytest.raises(MastodonAPIError) as refused:
        reader.status_post("not allowed")
    assert refused.value.args[1] == 403


class Collect(StreamListener):
    """Keeps what a stream delivers."""

    def __init__(self):
        super().__init__()
        self.events = []
        self.arrived = threading.Event()

    def on_update(self, status):
        self.events.append(("update", status))
        self.arrived.set()

    def on_notification(self, notification):
        self.events.append(("notification", notification))
        self.arrived.set()

    def on_delete(self, status_id):
        self.events.append(("delete", status_id))
        self.arrived.set()


def wait_for(listener, count, seconds=10):
    deadline = time.time() + seconds
    while len(listener.events) < count and time.time() < deadline:
        time.sleep(0.05)
    return [kind for kind, _ in listener.events]


def test_streams_over_server_sent_events(chirp, app):
    ada, _ = signed_up(chirp, app, "ada")
    bob, bob_name = signed_up(chirp, app, "bob")
    ada.account_follow(ada.account_lookup(bob_name))
    home, public, tagged = Collect(), Collect(), Collect()
    handles = [
        ada.stream_user(home, run_async=True),
        ada.stream_public(public, run_async=True),
        ada.stream_hashtag("Streams", tagged, run_async=True),
    ]
    try:
        for handle in handles:
            deadline = time.time() + 10
            while not handle.is_receiving() and time.time() < deadline:
                time.sleep(0.05)
        # The stream is registered once its first bytes arrived; give it a moment more.
        time.sleep(0.3)
        plain = bob.status_post("no tag here")
        post = bob.status_post(f"@{ada.account_verify_credentials().username} hello #streams")
        bob.status_delete(plain)
        assert wait_for(home, 4) == ["update", "update", "notification", "delete"]
        assert home.events[1][1].id == post.id
        assert home.events[2][1].type == "mention"
        assert wait_for(public, 3) == ["update", "update", "delete"]
        assert wait_for(tagged, 2) == ["update", "delete"]
        assert tagged.events[0][1].id == post.id
        assert tagged.events[1][1] == plain.id
    finally:
        for handle in handles:
            handle.close()


def sse_events(response, count, seconds=10):
    """The first `count` events of a raw SSE response, as dicts of their fields."""
    events, fields = [], {}
    deadline = time.time() + seconds
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if "event" in fields:
                events.append(fields)
            fields = {}
            if len(events) >= count or time.time() > deadline:
                break
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    return events


def test_last_event_id_replays_what_was_missed_in_order_once(chirp, app):
    poster, _ = signed_up(chirp, app, "poster")
    url = f"{chirp.url}/api/v1/streaming/public"
    with requests.get(url, stream=True, timeout=10) as first:
        assert first.headers["content-type"] == "text/event-stream"
        seen = poster.status_post("seen live")
        [live] = sse_events(first, 1)
    assert live["event"] == "update" and json.loads(live["data"])["id"] == str(seen.id)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9]+", live["id"])
    # Disconnected: three things happen meanwhile.
    missed = [poster.status_post(f"missed {n}") for n in range(2)]
    poster.status_delete(missed[0])
    with requests.get(url, stream=True, timeout=10, headers={"Last-Event-ID": live["id"]}) as again:
        after = poster.status_post("after the reconnect")
        events = sse_events(again, 3)
    kinds = [(e["event"], e["data"] if e["event"] == "delete" else json.loads(e["data"])["id"]) for e in events]
    # The first missed status was deleted before the replay: its update is not sent, its
    # delete is, in its place; then what came live — each once, in order.
    assert kinds == [("update", str(missed[1].id)), ("delete", str(missed[0].id)), ("update", str(after.id))]
    ids = [int(e["id"].split("-")[1]) for e in events]
    assert ids == sorted(ids) and int(live["id"].split("-")[1]) < ids[0]
    # An id from another run (or another node) replays nothing.
    with requests.get(url, stream=True, timeout=10, headers={"Last-Event-ID": "00000000-1"}) as fresh:
        newest = poster.status_post("only this")
        [event] = sse_events(fresh, 1)
    assert json.loads(event["data"])["id"] == str(newest.id)


def test_search_and_a_tag_timeline(chirp, app):
    api, username = signed_up(chirp, app, "finder")
    post = api.status_post("Looking for #PyTags here, naïvely")
    found = api.search("naive", result_type="statuses")
    assert [s.id for s in found.statuses] == [post.id]
    people = api.search(username, result_type="accounts")
    assert people.accounts[0].username == username
    assert [s.id for s in api.timeline_hashtag("pytags")] == [post.id]


def test_revoking_a_token_ends_its_streams(chirp, app):
    api, _ = signed_up(chirp, app, "leaver")
    url = f"{chirp.url}/api/v1/streaming/user"
    with requests.get(url, stream=True, timeout=10, headers={"Authorization": f"Bearer {api.access_token}"}) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == ":)"
        revoked = requests.post(
            f"{chirp.url}/oauth/revoke",
            data={"client_id": app[0], "client_secret": app[1], "token": api.access_token},
            timeout=10,
        )
        assert revoked.status_code == 200 and revoked.json() == {}
        started = time.time()
        # The stream ends (the server closes it) rather than going on as a signed-out user.
        rest = list(lines)
        assert time.time() - started < 9, rest
    with pytest.raises(MastodonAPIError):
        api.account_verify_credentials()
