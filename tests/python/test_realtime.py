"""Chirp's Socket.IO endpoint as the official Python client (python-socketio) sees it."""

import queue
import threading
import time

import pytest
import requests
import socketio

QUIET = 0.3  # seconds in which nothing (else) may arrive

TRANSPORTS = {
    "websocket": ["websocket"],
    "polling": ["polling"],
    "default": None,  # polling, then upgrade to websocket
}


class Listener:
    """A connected python-socketio client that records every event it receives."""

    def __init__(self, url, transports, auth=None):
        self.events = queue.Queue()
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        self.sio.on("*", self._record)
        self.sio.connect(url, transports=transports, auth=auth, wait_timeout=5)

    def _record(self, event, *args):
        self.events.put((event, args))

    def next(self, timeout=5.0):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout} s") from None

    def assert_quiet(self):
        time.sleep(QUIET)
        leftover = []
        while not self.events.empty():
            leftover.append(self.events.get_nowait())
        assert leftover == [], f"unexpected events: {leftover}"

    def close(self):
        self.sio.disconnect()


def new_tweet_args(tweet):
    reply_to = tweet["reply_to"]["id"] if tweet.get("reply_to") else None
    return (True, {"id": tweet["id"], "author": {"id": tweet["author"]["id"], "username": tweet["author"]["username"]}, "reply_to": reply_to})


@pytest.fixture
def listeners():
    opened = []
    yield opened
    for listener in opened:
        listener.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_new_tweet_reaches_others_but_not_the_author(chirp, listeners, transport):
    author = chirp.sign_up("author")
    reader = chirp.sign_up("reader")
    anon = Listener(chirp.url, TRANSPORTS[transport])
    signed_in = Listener(chirp.url, TRANSPORTS[transport], auth={"token": reader["token"]})
    own = Listener(chirp.url, TRANSPORTS[transport], auth={"token": author["token"]})
    listeners.extend([anon, signed_in, own])
    if TRANSPORTS[transport]:
        for listener in listeners:
            assert listener.sio.transport() == TRANSPORTS[transport][0]

    tweet = chirp.post_tweet(author["token"], "hello from the python test")

    for listener in (anon, signed_in):
        assert listener.next() == ("newTweet", new_tweet_args(tweet))
    for listener in (anon, signed_in, own):
        listener.assert_quiet()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_unknown_token_is_refused(chirp, transport):
    # connect(wait=False), then wait for the verdict ourselves: with wait=True a refused client
    # disconnects at once, and python-engineio 4.15 over polling may then drop its CLOSE packet
    # (its write loop stops when the state leaves "connected", even with CLOSE still queued,
    # which happens whenever the answer to the server's first ping is in flight) and wait for
    # the server's next ping, 25 s later. The server's answer is the same either way.
    verdict = threading.Event()
    errors = []
    sio = socketio.Client(reconnection=False, handle_sigint=False)
    sio.on("connect", verdict.set)
    sio.on("connect_error", lambda data: (errors.append(data), verdict.set()))
    sio.connect(chirp.url, transports=TRANSPORTS[transport], auth={"token": "not-a-real-token"}, wait=False)
    try:
        assert verdict.wait(5), "neither connect nor connect_error within 5 s"
        assert errors == [{"message": "invalid token"}]
        assert sio.failed_namespaces == ["/"]
        assert "/" not in sio.namespaces
    finally:
        session_url = sio.eio.base_url
        sio.eio.disconnect(abort=True)
        if transport == "polling":
            # Close the Engine.IO session ourselves (the CLOSE above may be dropped, see above).
            requests.post(session_url, data="1", headers={"Content-Type": "text/plain"}, timeout=5)


def test_a_python_client_asking_for_recovery_gets_each_event_with_its_offset(chirp, listeners):
    """python-socketio keeps no pid, but a socket that asks (`auth.recover`) gets what the
    official server sends: one more, last, string argument; one that does not, nothing more."""
    author = chirp.sign_up("offsets")
    asking = Listener(chirp.url, TRANSPORTS["websocket"], auth={"recover": True})
    plain = Listener(chirp.url, TRANSPORTS["websocket"])
    listeners.extend([asking, plain])

    tweet = chirp.post_tweet(author["token"], "with an offset")

    event, args = asking.next()
    assert event == "newTweet"
    assert args[:-1] == new_tweet_args(tweet)
    assert isinstance(args[-1], str) and args[-1].count("-") == 3
    assert plain.next() == ("newTweet", new_tweet_args(tweet))
