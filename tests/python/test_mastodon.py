"""Mastodon.py, unchanged, against Chirp's Mastodon client API.

The library registers an app, signs up and signs in (password grant), reads the home and
public timelines with paging, posts, replies, favourites, follows, reads a context and
notifications, and deletes — as a script written for Mastodon would.
"""

import uuid

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

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
