//! The flags' tests: every flag has its variable, default and docs entry.
use std::collections::HashSet;

use super::*;

/// Every flag of `chirp serve`: its name, its default (`None`: unset), and another
/// value to try. A flag missing here fails `every_flag_has_its_variable_and_default`.
const FLAGS: &[(&str, Option<&str>, &str)] = &[
    ("addr", Some("127.0.0.1:8000"), "0.0.0.0:9000"),
    ("cors-origin", Some("*"), "https://a.example"),
    ("public-url", None, "https://chirp.example"),
    ("trusted-proxies", Some("private"), "10.0.0.1,10.0.0.2"),
    ("registrations", Some("open"), "closed"),
    ("max-connections", None, "100"),
    ("log-format", Some("text"), "json"),
    ("shutdown-timeout", Some("10"), "3"),
    (
        "database-url",
        Some("sqlite://chirp.db"),
        "postgres://u@h/db",
    ),
    ("db-pool-size", Some("8"), "4"),
    ("sqlite-cache-kib", Some("512"), "2000"),
    ("rate-limits", Some("on"), "off"),
    ("auth-rate-limit", Some("60"), "1"),
    ("signup-rate-limit", Some("20"), "1"),
    ("post-rate-limit", Some("30"), "1"),
    ("like-rate-limit", Some("120"), "1"),
    ("follow-rate-limit", Some("60"), "1"),
    ("profile-rate-limit", Some("30"), "1"),
    ("mark-read-rate-limit", Some("120"), "1"),
    ("mention-rate-limit", Some("200"), "1"),
    ("block-rate-limit", Some("30"), "1"),
    ("mute-rate-limit", Some("30"), "1"),
    ("report-rate-limit", Some("20"), "1"),
    ("max-mention-notifications", Some("10"), "3"),
    ("watch-rate-limit", Some("120"), "1"),
    ("hash-threads", Some("0"), "2"),
    ("hash-wait-ms", Some("5000"), "10"),
    ("redis-url", None, "redis://127.0.0.1:6379"),
    ("rate-limit-store", Some("auto"), "local"),
    ("max-sockets-per-address", Some("1000"), "5"),
    ("ping-interval-ms", Some("25000"), "100"),
    ("ping-timeout-ms", Some("20000"), "100"),
    ("max-backlog-bytes", Some("1048576"), "1024"),
    ("socket-recovery", Some("ask"), "all"),
    ("socket-recovery-window-ms", Some("120000"), "200"),
    ("home-cache-tweets", Some("100000"), "0"),
    ("media-url", Some("file://./media"), "s3://bucket/prefix"),
    ("media-max-bytes", Some("10485760"), "1000"),
    ("media-max-pixels", Some("40000000"), "1000"),
    ("media-threads", Some("0"), "2"),
    ("media-queue", Some("64"), "3"),
    ("media-wait-ms", Some("30000"), "10"),
    ("media-sweep-age", Some("86400"), "5"),
    ("media-sweep-every", Some("900"), "1"),
];

/// Parse `chirp serve ARGS` with the environment ignored (tests run side by side).
fn parse(args: &[&str]) -> ServeConfig {
    let command = serve_command().mut_args(|arg| arg.env(None::<&'static str>));
    let matches = command
        .try_get_matches_from(std::iter::once("serve").chain(args.iter().copied()))
        .unwrap();
    ServeConfig::from_arg_matches(&matches).unwrap()
}

fn flags() -> Vec<clap::Arg> {
    serve_command()
        .get_arguments()
        .filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version"))
        .cloned()
        .collect()
}

#[test]
fn every_flag_has_its_variable_and_default() {
    let defaults = format!("{:?}", ServeConfig::defaults());
    assert_eq!(defaults, format!("{:?}", parse(&[])));
    let mut seen = HashSet::new();
    for arg in flags() {
        let long = arg.get_long().expect("every setting is a --flag");
        let Some(&(_, default, sample)) = FLAGS.iter().find(|f| f.0 == long) else {
            panic!("--{long} is not in FLAGS: add its default and a value to try");
        };
        seen.insert(long.to_owned());
        let env = format!("CHIRP_{}", long.to_uppercase().replace('-', "_"));
        assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(env.as_str()));
        let written: Vec<_> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        let expected: Vec<_> = default.iter().map(|d| d.to_string()).collect();
        assert_eq!(written, expected, "the default of --{long}");
        let flag = format!("--{long}");
        let changed = format!("{:?}", parse(&[&flag, sample]));
        assert_ne!(changed, defaults, "--{long} {sample} changes nothing");
    }
    assert_eq!(seen.len(), FLAGS.len(), "FLAGS lists a flag that is gone");
}

#[test]
fn every_shown_flag_is_in_the_api_docs() {
    let docs = include_str!("../../docs/API.md");
    for arg in flags().iter().filter(|arg| !arg.is_hide_set()) {
        let long = arg.get_long().unwrap();
        let env = arg.get_env().and_then(|e| e.to_str()).unwrap();
        assert!(
            docs.contains(&format!("--{long}")),
            "docs/API.md lacks --{long}"
        );
        assert!(docs.contains(env), "docs/API.md lacks {env}");
    }
}

#[test]
fn trusted_proxies_read_private_none_addresses_and_networks() {
    let list = |s: &str| s.parse::<ProxyList>();
    let net = |addr: &str, prefix| ProxyEntry::Network {
        addr: addr.parse().unwrap(),
        prefix,
    };
    assert_eq!(
        ServeConfig::defaults().server.trusted_proxies,
        ProxyList(vec![ProxyEntry::Private])
    );
    assert_eq!(list("none"), Ok(ProxyList(vec![])));
    assert_eq!(list(" NONE "), Ok(ProxyList(vec![])));
    assert_eq!(
        list("10.0.0.1, 192.0.2.77/24,private,2001:db8::1/32,::ffff:10.0.0.2"),
        Ok(ProxyList(vec![
            net("10.0.0.1", 32),
            net("192.0.2.0", 24),
            ProxyEntry::Private,
            net("2001:db8::", 32),
            net("10.0.0.2", 32),
        ]))
    );
    assert_eq!(list("0.0.0.0/0"), Ok(ProxyList(vec![net("0.0.0.0", 0)])));
    for bad in [
        "",
        "nginx",
        "10.0.0.1/33",
        "::1/129",
        "10.0.0.1/x",
        "none,10.0.0.1",
    ] {
        assert!(list(bad).is_err(), "{bad:?} is refused");
    }
    assert_eq!(
        parse(&["--trusted-proxies", "none"]).server.trusted_proxies,
        ProxyList(vec![])
    );
}

#[test]
fn registrations_are_open_unless_closed() {
    assert_eq!(
        ServeConfig::defaults().server.registrations,
        Registrations::Open
    );
    assert_eq!(
        parse(&["--registrations", "closed"]).server.registrations,
        Registrations::Closed
    );
}

#[test]
fn admin_commands_take_the_database_flag_of_serve() {
    let cli = Cli::try_parse_from([
        "chirp",
        "admin",
        "role",
        "ada",
        "admin",
        "--database-url",
        "postgres://u@h/db",
    ])
    .unwrap();
    let Command::Admin(AdminCommand::Role {
        username,
        role,
        storage,
    }) = cli.command
    else {
        panic!("chirp admin role");
    };
    assert_eq!((username.as_str(), role.as_str()), ("ada", "admin"));
    assert_eq!(storage.database_url, "postgres://u@h/db");
    let cli = Cli::try_parse_from(["chirp", "admin", "create-user", "bob"]).unwrap();
    assert!(matches!(
        cli.command,
        Command::Admin(AdminCommand::CreateUser { ref username, .. }) if username == "bob"
    ));
}

#[test]
fn flags_land_in_their_groups() {
    let c = parse(&[
        "--addr",
        "0.0.0.0:9000",
        "--database-url",
        "postgres://u@h/db",
        "--rate-limits",
        "off",
        "--profile-rate-limit",
        "7",
        "--redis-url",
        "redis://r",
        "--trusted-proxies",
        "10.0.0.1,10.0.0.2",
        "--home-cache-tweets",
        "5",
    ]);
    assert_eq!(c.server.addr, SocketAddr::from(([0, 0, 0, 0], 9000)));
    assert_eq!(c.storage.database_url, "postgres://u@h/db");
    assert_eq!(c.limits.rate_limits, Switch::Off);
    assert_eq!(c.limits.profile_rate_limit, 7);
    assert_eq!(c.cluster.redis_url.as_deref(), Some("redis://r"));
    assert_eq!(c.server.trusted_proxies.0.len(), 2);
    assert_eq!(c.caches.home_cache_tweets, 5);
}

#[test]
fn rate_limits_are_shared_through_redis_by_default_in_a_cluster() {
    let mut cluster = ServeConfig::defaults().cluster;
    assert_eq!(cluster.rate_limit_redis(), Ok(None), "one node alone");
    cluster.redis_url = Some("redis://r".into());
    assert_eq!(cluster.rate_limit_redis(), Ok(Some("redis://r")));
    cluster.rate_limit_store = RateLimitStore::Local;
    assert_eq!(cluster.rate_limit_redis(), Ok(None));
    cluster.rate_limit_store = RateLimitStore::Redis;
    assert_eq!(cluster.rate_limit_redis(), Ok(Some("redis://r")));
    cluster.redis_url = None;
    assert!(
        cluster
            .rate_limit_redis()
            .unwrap_err()
            .contains("--redis-url")
    );
}
