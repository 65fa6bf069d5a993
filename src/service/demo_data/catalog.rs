//! The made-up product line the demo site supports: a Lumio home router, two
//! printers, a NAS and the Lumio Home app. Every question is built around one
//! [`Issue`]: its title phrasings, the symptoms a customer describes, the fix
//! an expert answers with, and (for some) a tip that only a late answer in a
//! long thread mentions. Slots in braces are filled in by the writer:
//! `{model}` (the product's model name), `{client}` (the customer's phone
//! or computer) and `{version}` (a firmware version).

/// A product family and the phrases its threads share.
#[derive(Debug)]
pub struct Family {
    /// Tag and key, e.g. `router`.
    pub key: &'static str,
    /// Model names, e.g. `Lumio AX3000`.
    pub models: &'static [&'static str],
    /// How customers describe their setup.
    pub contexts: &'static [&'static str],
    /// What customers already tried.
    pub tried: &'static [&'static str],
    /// Answers that are general advice rather than the fix.
    pub advice: &'static [&'static str],
}

/// One support problem and its fix.
#[derive(Debug)]
pub struct Issue {
    /// Stable key, e.g. `router-wifi-drops`.
    pub key: &'static str,
    /// Index into [`FAMILIES`].
    pub family: usize,
    /// Extra tags besides the family's.
    pub tags: &'static [&'static str],
    /// Ways customers title the question.
    pub titles: &'static [&'static str],
    /// Sentences describing what happens.
    pub symptoms: &'static [&'static str],
    /// The answer that solves it.
    pub fix: &'static str,
    /// A tip written only in late answers of long threads (empty: none).
    pub tip: &'static str,
}

/// Devices customers use.
pub const CLIENTS: &[&str] = &[
    "iPhone 13",
    "Windows 11 laptop",
    "MacBook Air",
    "Pixel 7",
    "Samsung Galaxy tablet",
    "Chromebook",
    "Windows 10 desktop",
    "iPad",
];

/// Firmware versions.
pub const VERSIONS: &[&str] = &["2.4.1", "3.0.2", "3.1.0", "3.1.4", "4.0.0"];

/// How questions start.
pub const OPENERS: &[&str] = &[
    "Hi all.",
    "Hello, first time posting here.",
    "Hoping someone can help.",
    "This is driving me crazy.",
    "Quick question.",
    "Long time lurker, first post.",
];

/// How questions end.
pub const CLOSERS: &[&str] = &[
    "Any ideas?",
    "Thanks in advance.",
    "Is this a known problem?",
    "What else can I try?",
    "Any help appreciated.",
    "Did anyone else run into this?",
];

/// Short replies that add nothing but agreement.
pub const ME_TOO: &[&str] = &[
    "Same problem here with the {model}. Following this thread.",
    "I have exactly the same issue since last week. Did you ever find a fix?",
    "Following. Mine started doing this after the {version} update too.",
    "Same here, on a {client}. Very annoying.",
];

/// Replies from the asker after trying something.
pub const FOLLOW_UPS: &[&str] = &[
    "Thanks, I will try that tonight and report back.",
    "Tried it, no change unfortunately.",
    "That worked! Thank you so much, marking this as the answer.",
    "Partly better, but it still happens once a day or so.",
];

/// The product families.
pub const FAMILIES: &[Family] = &[
    Family {
        key: "router",
        models: &["Lumio AX1800", "Lumio AX3000", "Lumio AX5400 Pro"],
        contexts: &[
            "I have the {model} on a 500 Mbps fibre line in a two storey house.",
            "My {model} replaced the box from my internet provider a month ago.",
            "We use the {model} with about twenty devices, mostly phones and a smart TV.",
            "The {model} sits in the hallway and my office is two rooms away.",
        ],
        tried: &[
            "I already restarted the router and the modem.",
            "I updated to firmware {version}, which made no difference.",
            "I tried a different network cable between the modem and the router.",
            "Forgetting the network on the {client} and joining again did not help.",
        ],
        advice: &[
            "Power cycle everything in order: modem first, wait two minutes, then the router, then your devices.",
            "Check the system log under Advanced, Administration. It usually says why the connection dropped.",
            "Make sure you are on the latest firmware. Lumio fixed a lot of stability bugs this year.",
            "Try a factory reset and set it up from scratch instead of restoring the old backup file.",
            "Is the router in a cupboard or behind the TV? Walls and metal kill the signal.",
        ],
    },
    Family {
        key: "printer",
        models: &["Lumio InkJet 220", "Lumio Laser 410", "Lumio PhotoJet 250"],
        contexts: &[
            "I print from a {client} to my {model} over wifi.",
            "The {model} is shared by the whole family, connected to the home network.",
            "I bought the {model} last year for my home office.",
            "I print mostly from a {client}, sometimes from my phone.",
        ],
        tried: &[
            "I turned the printer off and on again.",
            "I removed the printer from the computer and added it again.",
            "I reinstalled the driver from the Lumio website.",
            "I ran the built in troubleshooter, it found nothing.",
        ],
        advice: &[
            "Print a network configuration page from the printer menu and check which IP address it has.",
            "Update the printer firmware from the control panel, under Settings, Maintenance.",
            "Try printing a test page from the printer itself. If that works, the problem is on the computer side.",
            "Use genuine cartridges if you can, the cheap ones cause all kinds of strange errors.",
            "Unplug the power cord for a full minute, not just the power button. That clears the memory.",
        ],
    },
    Family {
        key: "nas",
        models: &["Lumio Vault 2", "Lumio Vault 4 Plus"],
        contexts: &[
            "I have a {model} with two 4 TB drives in a mirror.",
            "Our {model} stores the family photos and the backups of three laptops.",
            "The {model} is connected to my router with a network cable.",
            "I set up the {model} a few weeks ago, mostly for backups and media.",
        ],
        tried: &[
            "I restarted the NAS from the control panel.",
            "I updated the NAS software to {version}.",
            "I checked the drives in Storage Manager and both say healthy.",
            "I tried from a second computer with the same result.",
        ],
        advice: &[
            "Check the notifications in the NAS control panel first, it logs every failed job with a reason.",
            "Make sure the NAS has a fixed IP address, otherwise every client loses it after a router restart.",
            "Run an extended SMART test on both drives, it takes a few hours but tells you a lot.",
            "Update the NAS software and the Lumio apps on your computer to the same release.",
            "Keep the NAS on a UPS. Power cuts are the most common cause of strange problems.",
        ],
    },
    Family {
        key: "app",
        models: &["Lumio Home app"],
        contexts: &[
            "I use the {model} on my {client} to manage the router and the NAS.",
            "I installed the {model} on a new {client}.",
            "My partner and I both use the {model} with the same Lumio account.",
        ],
        tried: &[
            "I deleted the app and installed it again.",
            "I cleared the app cache and data.",
            "I tried both on mobile data and on the home wifi.",
        ],
        advice: &[
            "Make sure the app is updated from the app store, old versions stop working when the cloud service changes.",
            "Sign out of the app completely, restart the phone and sign in again.",
            "Check the Lumio status page, the cloud service had an outage this week.",
        ],
    },
];

const ROUTER: usize = 0;
const PRINTER: usize = 1;
const NAS: usize = 2;
const APP: usize = 3;

/// Every issue the demo site discusses.
pub const ISSUES: &[Issue] = &[
    Issue {
        key: "router-wifi-drops",
        family: ROUTER,
        tags: &["wifi"],
        titles: &[
            "Wifi keeps dropping every few minutes on the {model}",
            "Wireless connection drops randomly",
            "{client} keeps losing the wifi connection",
        ],
        symptoms: &[
            "The wifi icon stays on but pages stop loading for a minute or two, then everything comes back.",
            "Devices plugged in with a cable are fine the whole time, only the wireless ones drop out.",
            "Video calls freeze several times an hour and my {client} says no internet.",
        ],
        fix: "Open the Lumio Home app, go to Wifi settings and turn off Smart Connect so the 2.4 GHz and 5 GHz bands get separate names. Then set a fixed channel instead of Auto: the automatic channel switching is what kicks clients off every few minutes.",
        tip: "In my case the culprit was the neighbours baby monitor. A spectrum analyser app on my phone showed it flooding channel 6, so I moved the router to channel 11 and it has been solid since.",
    },
    Issue {
        key: "router-firmware-stuck",
        family: ROUTER,
        tags: &["firmware", "update"],
        titles: &[
            "Firmware update stuck at 99 percent on the {model}",
            "Router firmware upgrade failed, now the light is red",
            "{model} bricked after update to {version}?",
        ],
        symptoms: &[
            "The progress bar stopped at 99 percent and nothing happened for half an hour.",
            "The power light is now solid red and the web interface does not load.",
            "The update started by itself overnight and this morning there was no internet.",
        ],
        fix: "Do not unplug it during an update. If it is truly stuck, hold the reset button while you switch it on and keep holding for 30 seconds: the router starts in recovery mode. Then connect a laptop by cable, open 192.168.0.1 and upload the firmware file you downloaded from the Lumio support site.",
        tip: "If the recovery page never loads, give your laptop a static address of 192.168.0.50 and push the image with a TFTP client. That is what the Lumio phone support walked me through.",
    },
    Issue {
        key: "router-slow-speed",
        family: ROUTER,
        tags: &["wifi", "speed"],
        titles: &[
            "Internet much slower over wifi than with a cable",
            "Only getting 50 Mbps on a 500 Mbps plan with the {model}",
            "Download speed dropped after switching to the {model}",
        ],
        symptoms: &[
            "A speed test next to the router gives about a tenth of what I pay for.",
            "With a laptop plugged in directly I get the full speed, over wireless it crawls.",
        ],
        fix: "Check whether QoS is turned on: the bandwidth you entered there becomes a hard limit for everything. Also make sure your devices join the 5 GHz network, because 2.4 GHz rarely gives more than 100 Mbps in a real house.",
        tip: "Turning off the Traffic Analyzer doubled my throughput. The deep packet inspection it does eats the whole CPU on this model.",
    },
    Issue {
        key: "router-port-forwarding",
        family: ROUTER,
        tags: &["port-forwarding", "gaming"],
        titles: &[
            "Port forwarding not working for my game server",
            "How to open a port on the {model}?",
            "Forwarded port still shows closed from outside",
        ],
        symptoms: &[
            "I added a rule for port 25565 to my PC but friends cannot join.",
            "Online port checkers say the port is closed even though the rule is there.",
        ],
        fix: "Port forwarding only works when the router has a public address. Look at the WAN address on the status page: if it starts with 100.64 or 10, your provider puts you behind carrier grade NAT and you need to ask them for a public IPv4 address.",
        tip: "Also check the firewall on the PC itself. I spent two days on the router rules before noticing Windows Defender was silently blocking the game server.",
    },
    Issue {
        key: "router-admin-password",
        family: ROUTER,
        tags: &["password", "reset"],
        titles: &[
            "Forgot the admin password for the router",
            "Cannot log in to the {model} web page, password rejected",
            "How do I reset the router login?",
        ],
        symptoms: &[
            "The admin page at 192.168.0.1 says the password is wrong and I never changed it.",
            "Whoever installed it set a password and nobody remembers it.",
        ],
        fix: "Push a paper clip into the reset hole on the back for 10 seconds until all lights flash. The router goes back to factory settings and the password printed on the label underneath works again. You will have to set up the wifi name and password again afterwards.",
        tip: "Before you reset, try the Lumio Home app: if your phone is still paired as the owner you can set a new admin password from there without losing the settings.",
    },
    Issue {
        key: "router-guest-network",
        family: ROUTER,
        tags: &["wifi", "guest"],
        titles: &[
            "Guest network connects but has no internet",
            "Visitors on the guest wifi cannot load any page",
        ],
        symptoms: &[
            "Phones join the guest network fine, they just never get online.",
            "The main network works normally at the same time.",
        ],
        fix: "In the guest network settings, enable Allow guests to access the internet. It is off by default after a factory reset, and the guest network then only reaches the router itself.",
        tip: "On firmware 3.1 the bandwidth per guest slider defaults to zero, which means nothing gets through. Drag it up to a sensible value.",
    },
    Issue {
        key: "router-mesh-satellite",
        family: ROUTER,
        tags: &["mesh", "wifi"],
        titles: &[
            "Mesh satellite shows offline in the app",
            "Cannot pair the second mesh unit with the {model}",
            "Mesh node keeps disconnecting from the main router",
        ],
        symptoms: &[
            "The light on the satellite blinks amber and the app says the node is offline.",
            "The upstairs rooms still have weak signal even with the extra unit.",
        ],
        fix: "Pair the satellite in the same room as the router, wait for a solid white light, then move it about halfway between the router and the dead spot. Too far away and it cannot keep the wireless backhaul link.",
        tip: "Ethernet backhaul fixed it for good. I ran a cable between the two units and the app switched to wired backhaul on its own.",
    },
    Issue {
        key: "router-reboots",
        family: ROUTER,
        tags: &["reboot", "hardware"],
        titles: &[
            "Router restarts by itself several times a day",
            "{model} randomly reboots",
        ],
        symptoms: &[
            "All the lights go off and the router boots again, usually in the evening.",
            "The uptime on the status page is never more than a few hours.",
        ],
        fix: "Check the power adapter first: a failing adapter is the most common cause. Use the original 12 volt adapter and look for watchdog entries in the system log, which point to a crash rather than a power problem.",
        tip: "Mine was overheating inside a closed TV cabinet. A small USB fan blowing over it fixed the restarts completely.",
    },
    Issue {
        key: "router-dns-errors",
        family: ROUTER,
        tags: &["dns"],
        titles: &[
            "Some websites do not load, DNS error",
            "Browser says server not found on random sites",
        ],
        symptoms: &[
            "Chrome shows DNS_PROBE_FINISHED_NXDOMAIN for sites that work on mobile data.",
            "Reloading a few times sometimes helps, sometimes not.",
        ],
        fix: "Set the DNS servers by hand in the internet settings, for example 1.1.1.1 and 9.9.9.9, instead of using the ones from your provider, then restart the router so every device picks them up.",
        tip: "The safe search filter in the parental controls rewrites DNS answers. Disabling it under Family profiles ended the random failures for us.",
    },
    Issue {
        key: "router-parental-controls",
        family: ROUTER,
        tags: &["parental-controls"],
        titles: &[
            "How to block websites on the kids tablet",
            "Set up a bedtime schedule for internet access",
        ],
        symptoms: &[
            "I want the kids devices to go offline at 9 in the evening.",
            "Some sites should be blocked for the children but not for us.",
        ],
        fix: "In the Lumio Home app open Family, create a profile for each child, add their devices to it and set a schedule. Blocked categories and single websites are set per profile too.",
        tip: "",
    },
    Issue {
        key: "printer-offline",
        family: PRINTER,
        tags: &["offline", "windows"],
        titles: &[
            "Printer shows offline after the update",
            "{model} keeps going offline on Windows 11",
            "Printer status offline although it is on and connected",
        ],
        symptoms: &[
            "It prints fine right after a restart, but a few hours later the computer says the printer is offline.",
            "The printer itself shows it is connected to the wifi the whole time.",
            "Every morning I have to remove and add the printer again.",
        ],
        fix: "The printer falls into deep sleep and comes back with a new IP address from the router. Reserve a fixed address for it in the router DHCP settings, add the printer again using that address, and turn off Eco sleep in the printer power settings.",
        tip: "Turning off IPv6 on the printer network page stopped it from disappearing. Windows kept trying the link local address that changes after every sleep.",
    },
    Issue {
        key: "printer-paper-jam",
        family: PRINTER,
        tags: &["paper-jam"],
        titles: &[
            "Paper jam error but no paper is stuck",
            "{model} says paper jam all the time",
        ],
        symptoms: &[
            "The display says clear the jam, but the paper path is empty.",
            "It happens on the first sheet, even with fresh paper.",
        ],
        fix: "Open the rear access door and look for a small torn piece of paper near the rollers. Then clean the pickup rollers with a lint free cloth dampened with water and let them dry before printing again.",
        tip: "A tiny piece of a sticky label was stuck on the paper sensor flag inside the duplex unit. A torch and tweezers got it out and the phantom jam was gone.",
    },
    Issue {
        key: "printer-faded-prints",
        family: PRINTER,
        tags: &["print-quality", "ink"],
        titles: &[
            "Prints come out faded with white lines",
            "Streaks and missing lines on every page",
            "Print quality got bad after a few weeks of not printing",
        ],
        symptoms: &[
            "Text has thin horizontal gaps and colours look washed out.",
            "The ink levels all show more than half full.",
        ],
        fix: "Run the print head cleaning from the maintenance menu twice, then print a nozzle check pattern. Only use the deep cleaning if lines are still missing, because it uses a lot of ink.",
        tip: "With third party cartridges, turn off ink level monitoring. The printer had quietly switched to a reduced ink mode because it could not read the chip.",
    },
    Issue {
        key: "printer-wifi-setup",
        family: PRINTER,
        tags: &["wifi", "setup"],
        titles: &[
            "Cannot connect the printer to wifi",
            "How do I set up the {model} on a new wireless network?",
            "Printer does not see my home network",
        ],
        symptoms: &[
            "The setup wizard on the printer never lists my network name.",
            "We got a new router and now the printer cannot join.",
        ],
        fix: "The printer only supports the 2.4 GHz band. Either give the 2.4 GHz band its own network name, or use WPS: press the WPS button on the router, then hold the wifi button on the printer for three seconds.",
        tip: "Our network name had an emoji in it and the printer simply cannot handle that. Renaming the SSID to plain letters fixed it.",
    },
    Issue {
        key: "printer-scan-to-email",
        family: PRINTER,
        tags: &["scan", "email"],
        titles: &[
            "Scan to email fails with a server error",
            "{model} cannot send scans by email anymore",
        ],
        symptoms: &[
            "The printer shows an SMTP error after scanning.",
            "It worked for months and stopped last week.",
        ],
        fix: "Most mail providers no longer accept your normal password from devices. Create an app password in your mail account and use it in the printer email settings, with port 587 and STARTTLS.",
        tip: "The clock on the printer was a year off, so the mail server certificate looked invalid. Setting the date and time correctly fixed scan to email.",
    },
    Issue {
        key: "printer-mac-driver",
        family: PRINTER,
        tags: &["driver", "mac"],
        titles: &[
            "Driver will not install on macOS",
            "Where do I get a Mac driver for the {model}?",
        ],
        symptoms: &[
            "The installer from the website stops halfway with an error.",
            "The printer shows up, but printing does nothing.",
        ],
        fix: "On recent macOS you do not need the Lumio driver at all. Add the printer with AirPrint in System Settings, Printers and Scanners, and choose Secure AirPrint as the driver.",
        tip: "Delete the old printer queue and the Lumio folder in Library, Printers before installing. Leftovers from the old driver break the installer.",
    },
    Issue {
        key: "printer-cartridge-not-recognised",
        family: PRINTER,
        tags: &["ink", "cartridge"],
        titles: &[
            "Printer does not recognise the new cartridge",
            "Cartridge error after replacing the ink",
        ],
        symptoms: &[
            "I put in a new black cartridge and the display says it is missing.",
            "The old one works when I put it back.",
        ],
        fix: "Remove the orange protective strip from the new cartridge and push it in until it clicks, then switch the printer off and on. Make sure the contacts on the cartridge are clean.",
        tip: "Firmware 5.2 blocks refilled chips. You cannot roll the firmware back, but Lumio support sent me a chip reset code by email.",
    },
    Issue {
        key: "printer-duplex",
        family: PRINTER,
        tags: &["duplex"],
        titles: &[
            "How do I print on both sides of the paper?",
            "Double sided printing option missing",
        ],
        symptoms: &[
            "The print dialog only offers one sided printing.",
            "I want to save paper on long documents.",
        ],
        fix: "Turn on two sided printing in the print dialog under Layout. If the option is missing, open the printer properties on the computer and mark the duplex unit as installed.",
        tip: "",
    },
    Issue {
        key: "nas-time-machine",
        family: NAS,
        tags: &["backup", "mac"],
        titles: &[
            "Time Machine backup to the NAS keeps failing",
            "Nightly backups to the {model} fail",
            "Mac backup to network drive stopped working",
        ],
        symptoms: &[
            "The Mac says the backup disk is not available.",
            "The backup runs for an hour and then fails with an error.",
            "It worked for the first week, now every night fails.",
        ],
        fix: "Create a dedicated shared folder for Time Machine, enable Time Machine support for it in the SMB settings and give it a size limit so it cannot fill the whole volume.",
        tip: "The backups failed because the NAS fell asleep in the middle of the night. Setting disk hibernation to never fixed the overnight failures.",
    },
    Issue {
        key: "nas-slow-transfers",
        family: NAS,
        tags: &["speed", "network"],
        titles: &[
            "File transfers to the NAS are very slow",
            "Copying to the {model} only reaches 11 MB per second",
        ],
        symptoms: &[
            "Copying a 5 GB video takes almost ten minutes.",
            "Reading from the NAS is just as slow.",
        ],
        fix: "Check the link speed on the network page of the control panel: if it says 100 Mbps the cable or the switch port is bad. Use a Cat6 cable and plug it directly into the router to compare.",
        tip: "Jumbo frames were the problem: I had set MTU 9000 on the NAS but my switch does not support it. Back to 1500 and transfers run at full speed.",
    },
    Issue {
        key: "nas-failed-drive",
        family: NAS,
        tags: &["raid", "drive"],
        titles: &[
            "Volume degraded warning, one drive failed",
            "How do I replace a failing disk in the {model}?",
        ],
        symptoms: &[
            "The NAS beeps and Storage Manager says the volume is degraded.",
            "Drive 2 shows critical status.",
        ],
        fix: "Do not switch the NAS off. Pull out the failed drive and insert one of the same size or larger; the volume repairs itself automatically, which can take a day for big disks.",
        tip: "Before repairing, look at the reallocated sector count of the other drive in its SMART details. Ours was failing too and the repair would have killed it.",
    },
    Issue {
        key: "nas-remote-access",
        family: NAS,
        tags: &["remote-access"],
        titles: &[
            "Access NAS files from outside the house",
            "How to reach the {model} when I am away from home",
        ],
        symptoms: &[
            "I want to open my documents from work.",
            "I do not want to open ports on the router if I can avoid it.",
        ],
        fix: "Turn on Lumio Cloud Connect in the NAS control panel and sign in with your Lumio account. You get a personal link that works from anywhere without forwarding any ports.",
        tip: "If Cloud Connect stays in relay mode and is slow, enable UPnP on the router so the NAS can set up a direct connection.",
    },
    Issue {
        key: "nas-not-visible",
        family: NAS,
        tags: &["windows", "network"],
        titles: &[
            "NAS does not show up in File Explorer",
            "Cannot see the {model} on the network",
        ],
        symptoms: &[
            "The network section in Explorer is empty, but the NAS web page works.",
            "The Lumio app finds the NAS, Windows does not.",
        ],
        fix: "Windows 11 no longer browses old style network neighbourhoods. Type the address of the NAS in the Explorer address bar with two backslashes in front, then map the share as a network drive.",
        tip: "Start the Function Discovery Resource Publication service in Windows and set it to automatic. After that the NAS appeared under Network again.",
    },
    Issue {
        key: "nas-photo-backup",
        family: NAS,
        tags: &["photos", "backup"],
        titles: &[
            "Phone photo backup to the NAS stops",
            "Photos only upload when the app is open",
        ],
        symptoms: &[
            "New pictures only arrive on the NAS when I open Lumio Photos.",
            "The backup progress stays stuck at the same number.",
        ],
        fix: "Allow background refresh for Lumio Photos and exclude it from battery optimisation. Phones stop apps in the background to save power, which stops the upload.",
        tip: "On the iPhone it only uploads in the background while charging and with Low Power Mode off, so leave it on the charger overnight.",
    },
    Issue {
        key: "nas-permission-denied",
        family: NAS,
        tags: &["permissions"],
        titles: &[
            "Access denied when copying to a shared folder",
            "User cannot write to the family share",
        ],
        symptoms: &[
            "Windows says you need permission to perform this action.",
            "Reading files works, saving fails.",
        ],
        fix: "Give the user read and write access on the shared folder in the control panel, under Shared Folders, Permissions. A deny on any group the user belongs to wins over allow.",
        tip: "The folder had inherited access rules from the old admin account. Resetting the advanced permissions of the folder to the defaults fixed it.",
    },
    Issue {
        key: "nas-fan-noise",
        family: NAS,
        tags: &["noise", "hardware"],
        titles: &[
            "NAS fan is very loud",
            "{model} makes a lot of noise at night",
        ],
        symptoms: &[
            "The fan spins up every few minutes even when nobody uses it.",
            "The clicking of the drives is audible in the bedroom.",
        ],
        fix: "Set the fan mode to quiet in Hardware and Power settings, and schedule indexing and backups for the daytime so the drives rest at night.",
        tip: "Putting the NAS on a thick rubber mat stopped the humming. The vibration of the drives was resonating through the shelf.",
    },
    Issue {
        key: "app-sign-in",
        family: APP,
        tags: &["account", "sign-in"],
        titles: &[
            "Cannot sign in to the Lumio Home app",
            "App says session expired every time I open it",
            "Login to the app fails with the correct password",
        ],
        symptoms: &[
            "The password works on the website but the app rejects it.",
            "I get logged out every time I switch apps.",
        ],
        fix: "Reset the password from the sign in screen of the app and check that the phone clock is set automatically. A clock that is off by a few minutes makes the app reject every session.",
        tip: "A VPN on the phone was the reason. The Lumio cloud blocks logins from some VPN addresses, so pause the VPN while signing in.",
    },
    Issue {
        key: "app-two-factor",
        family: APP,
        tags: &["account", "security"],
        titles: &[
            "Lost my phone with the authenticator, locked out of the Lumio account",
            "Two step verification code not accepted",
        ],
        symptoms: &[
            "The six digit code is always rejected.",
            "My old phone with the codes broke.",
        ],
        fix: "Use one of the recovery codes you saved when you turned on two step verification. Without them, contact Lumio support with the serial number of one of your devices to prove ownership.",
        tip: "If the codes are rejected, the time on the authenticator phone is wrong. Sync the time in the authenticator settings and the codes work again.",
    },
    Issue {
        key: "app-device-not-found",
        family: APP,
        tags: &["setup"],
        titles: &[
            "App cannot find my new router during setup",
            "Setup stuck on searching for devices",
        ],
        symptoms: &[
            "The setup screen searches forever and then says no device found.",
            "The device is switched on and the light is blinking blue.",
        ],
        fix: "Give the app permission to use location and Bluetooth. Android needs location permission to scan for nearby devices, and the setup uses Bluetooth to talk to the new device.",
        tip: "On the iPhone, turn off Private Wi-Fi Address for your network during setup. The random address confused the pairing.",
    },
    Issue {
        key: "app-notifications",
        family: APP,
        tags: &["notifications"],
        titles: &[
            "Not getting any notifications from the app",
            "Alerts from the app stopped working",
        ],
        symptoms: &[
            "I used to get a message when a new device joined, now nothing.",
            "Notifications are switched on in the app settings.",
        ],
        fix: "Check that notifications are allowed for the Lumio Home app in the phone settings, not only inside the app, and that the app is excluded from battery optimisation.",
        tip: "",
    },
];
