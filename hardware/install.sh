#!/usr/bin/env bash
# Installs EdgeLlm as a systemd service on Raspberry Pi OS / Debian bookworm (12) or trixie (13).
# What it lays out, and why each piece is where it is: hardware/README.md ("Install").
set -euo pipefail

readonly prog=install.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly here

usage() {
  cat <<'EOF'
usage: install.sh [--from DIR] [--root DIR] [--board pi5|pi4|zero2w] [--with-mosquitto] [--dry-run]
       install.sh --uninstall [--purge] [--root DIR] [--dry-run]

  --from DIR        the published program: a folder with the edgellm executable and models/stories260K-q8_0.gguf
                    (default: the folder this script is in, if it holds an edgellm executable)
  --root DIR        install into a root file system at DIR instead of / (apt-get and systemctl are then only
                    printed; users and groups are written to DIR/etc with useradd/groupadd --prefix)
  --board NAME      merge hardware/boards/NAME/appsettings.json into the configuration
                    (default: detected from the device tree; none found = GPIO off)
  --with-mosquitto  also install the mosquitto broker and point the service at it
  --dry-run         print every action and change nothing
  --uninstall       remove what install created; keeps /etc/edgellm and /var/lib/edgellm/models
  --purge           with --uninstall: remove those too
EOF
}

# A bad invocation is one line on stderr and exit 2; nothing has been changed at that point.
die() {
  printf '%s: %s\n' "$prog" "$*" >&2
  exit 2
}

# A failure while installing: one line, exit 1.
fail() {
  printf '%s: %s\n' "$prog" "$*" >&2
  exit 1
}

from=""
root="/"
board=""
dry=0
uninstall=0
purge=0
mosquitto=0
from_given=0
board_given=0

need_value() { # need_value OPTION ARGC NEXT
  if [ "$2" -lt 2 ] || [ "${3#--}" != "$3" ]; then
    die "$1 needs a value (see --help)"
  fi
}

while [ $# -gt 0 ]; do
  case $1 in
    --from) need_value "$1" $# "${2:-}"; from=$2; from_given=1; shift 2 ;;
    --from=*) from=${1#*=}; from_given=1; shift ;;
    --root) need_value "$1" $# "${2:-}"; root=$2; shift 2 ;;
    --root=*) root=${1#*=}; shift ;;
    --board) need_value "$1" $# "${2:-}"; board=$2; board_given=1; shift 2 ;;
    --board=*) board=${1#*=}; board_given=1; shift ;;
    --with-mosquitto) mosquitto=1; shift ;;
    --dry-run) dry=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

if [ "$board_given" = 1 ]; then
  case $board in
    pi5 | pi4 | zero2w) ;;
    *) die "unknown board '$board' (pi5, pi4 or zero2w)" ;;
  esac
fi
[ "$purge" = 0 ] || [ "$uninstall" = 1 ] || die "--purge only goes with --uninstall"
if [ "$uninstall" = 1 ] && { [ "$from_given" = 1 ] || [ "$board_given" = 1 ] || [ "$mosquitto" = 1 ]; }; then
  die "--uninstall takes no --from, --board or --with-mosquitto"
fi
[ -n "$root" ] || die "--root needs a directory"
[ -d "$root" ] || die "--root $root: no such directory"
root=$(cd "$root" && pwd -P)
# R prefixes every path on the target: empty for the real root, so that messages name the real paths.
R=""
[ "$root" = / ] || R=$root
readonly R
fake=0
[ -z "$R" ] || fake=1
readonly fake

if [ "$dry" = 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "must run as root (sudo bash $0 ...); --dry-run works without"
fi

readonly opt=/opt/edgellm etc=/etc/edgellm var=/var/lib/edgellm
readonly unit=/etc/systemd/system/edgellm.service
readonly wants=/etc/systemd/system/multi-user.target.wants
readonly state_file=$opt/.install-state
readonly user=edgellm
# gpio: /dev/gpiochip*; i2c: /dev/i2c-*; audio: /dev/snd/* (arecord, espeak-ng); video: /dev/vcio, which
# vcgencmd needs for the Raspberry Pi 5 PMIC power readings.
readonly groups=(gpio i2c audio video)

changes=0
changed_service=0

say() {
  printf '%s\n' "$*"
}

# change DESCRIPTION COMMAND...: one action that changes the target; printed, and run unless --dry-run.
change() {
  local what=$1
  shift
  changes=$((changes + 1))
  if [ "$dry" = 1 ]; then
    say "would $what"
  else
    say "$what"
    "$@"
  fi
}

# external COMMAND...: something only a real root can do (apt-get, systemctl). In a fake root it is printed as
# what a real run would do, and it is not a change of the fake root.
external() {
  if [ "$fake" = 1 ]; then
    say "not done in a fake root; a real run would: $*"
  else
    change "run: $*" "$@"
  fi
}

# The shadow tools write the fake root's etc/passwd, group, shadow and gshadow with --prefix (no chroot: the
# target needs no shadow binaries of its own, only those four files, as any Debian root has).
shadow() {
  local tool=$1
  shift
  if [ "$fake" = 1 ]; then
    "$tool" --prefix "$R" "$@"
  else
    "$tool" "$@"
  fi
}

field() { # field FILE NAME N: field N of the colon-separated line whose first field is NAME
  [ -f "$1" ] || return 0
  awk -F: -v n="$2" -v f="$3" '$1 == n { print $f; exit }' "$1"
}
user_exists() { [ -n "$(field "$R/etc/passwd" "$1" 1)" ]; }
group_exists() { [ -n "$(field "$R/etc/group" "$1" 1)" ]; }
in_group() { # in_group GROUP USER
  local members
  members=",$(field "$R/etc/group" "$1" 4),"
  [[ $members == *",$2,"* ]]
}
uid_of() {
  case $1 in root) echo 0 ;; *) field "$R/etc/passwd" "$1" 3 ;; esac
}
gid_of() {
  case $1 in root) echo 0 ;; *) field "$R/etc/group" "$1" 3 ;; esac
}

octal() { printf '%o' "$((8#$1))"; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }

set_meta() { # set_meta PATH MODE OWNER GROUP (names resolved in the target's passwd/group, so also in a fake root)
  chown -h "$(uid_of "$3"):$(gid_of "$4")" "$1"
  [ -L "$1" ] || chmod "$2" "$1"
}

# ensure_meta PATH MODE OWNER GROUP: fix mode and ownership if they differ (PATH is a target path)
ensure_meta() {
  local p=$R$1 want have
  want="$(octal "$2") $(uid_of "$3") $(gid_of "$4")"
  have=$(stat -c '%a %u %g' "$p")
  [ "$have" = "$want" ] || change "set $p to $2 $3:$4" set_meta "$p" "$2" "$3" "$4"
}

# ensure_parent PATH: the folders above a target path (/opt, /var/lib, /etc/systemd/system) exist on any Debian
# root; a bare fake root may lack them.
# A dry run remembers the folders it would have created, so that it names each once.
declare -A planned=()
created_dirs=""
ensure_parent() {
  local d
  d=$(dirname "$1")
  [ ! -d "$R$d" ] && [ -z "${planned[$d]:-}" ] || return 0
  ensure_parent "$d"
  planned[$d]=1
  created_dirs="$created_dirs $d"
  change "create $R$d (0755 root:root)" mkdir -m 0755 "$R$d"
}

make_dir() {
  mkdir "$1"
  set_meta "$@"
}

ensure_dir() { # ensure_dir PATH MODE OWNER GROUP
  if [ -n "${planned[$1]:-}" ]; then
    return 0
  elif [ -d "$R$1" ] && [ ! -L "$R$1" ]; then
    ensure_meta "$@"
  else
    if [ -e "$R$1" ] || [ -L "$R$1" ]; then
      change "remove $R$1 (not a directory)" rm -f "$R$1"
    fi
    ensure_parent "$1"
    planned[$1]=1
    change "create $R$1 ($2 $3:$4)" make_dir "$R$1" "$2" "$3" "$4"
  fi
}

copy_file() { # copy_file SRC DEST MODE OWNER GROUP
  local tmp
  tmp=$(mktemp "$2.XXXXXX")
  cat "$1" >"$tmp"
  set_meta "$tmp" "$3" "$4" "$5"
  mv -f "$tmp" "$2"
}

ensure_file() { # ensure_file SRC PATH MODE OWNER GROUP; returns 0 if it changed the content
  local src=$1 p=$2
  shift 2
  if [ -d "$R$p" ] && [ ! -L "$R$p" ]; then
    change "remove $R$p (a directory where a file belongs)" rm -rf "$R$p"
  fi
  if [ ! -e "$R$p" ] && [ ! -L "$R$p" ]; then
    ensure_parent "$p"
    change "install $R$p ($1 $2:$3)" copy_file "$src" "$R$p" "$@"
    return 0
  fi
  if [ -L "$R$p" ] || ! cmp -s "$src" "$R$p"; then
    change "update $R$p ($1 $2:$3)" copy_file "$src" "$R$p" "$@"
    return 0
  fi
  ensure_meta "$p" "$@"
  return 1
}

ensure_link() { # ensure_link TARGET PATH (a symbolic link owned by root)
  if [ -L "$R$2" ] && [ "$(readlink "$R$2")" = "$1" ]; then
    return 1
  fi
  if [ -e "$R$2" ] || [ -L "$R$2" ]; then
    change "replace $R$2 by a link to $1" ln -sfn "$1" "$R$2"
  else
    change "link $R$2 -> $1" ln -s "$1" "$R$2"
  fi
  return 0
}

declare -A gone=() # what remove() removed (or, in a dry run, would have)
remove() { # remove PATH [WHY]: remove a target path (recursively) if it exists
  if [ -e "$R$1" ] || [ -L "$R$1" ]; then
    gone[$1]=1
    change "remove $R$1${2:+ ($2)}" rm -rf "$R$1"
  fi
}

empty_now() { # empty_now DIR: the folder holds nothing that remove() has not removed
  local e
  for e in "$R$1"/* "$R$1"/.*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    case ${e##*/} in . | ..) continue ;; esac
    [ -n "${gone[${e#"$R"}]:-}" ] || return 1
  done
}

# The install record: what this script created that the system did not have (so --uninstall removes exactly
# that, e.g. never a gpio group Raspberry Pi OS already had) and the checksum of the appsettings.json it wrote
# (a file that no longer matches it was edited and is never overwritten). /opt/edgellm is root's alone.
state_get() {
  [ -f "$R$state_file" ] || return 0
  sed -n "s/^$1=//p" "$R$state_file" | head -n 1
}

release() {
  local f=$R/etc/os-release
  [ -f "$f" ] || f=$R/usr/lib/os-release
  [ -f "$f" ] || fail "cannot tell the release: no $R/etc/os-release"
  sed -n 's/^VERSION_CODENAME=//p' "$f" | tr -d '"' | head -n 1
}

detect_board() {
  local model=""
  [ -r "$R/proc/device-tree/model" ] && model=$(tr -d '\0' <"$R/proc/device-tree/model")
  case $model in
    *"Raspberry Pi 5"* | *"Compute Module 5"*) echo pi5 ;;
    *"Raspberry Pi 4"* | *"Compute Module 4"*) echo pi4 ;;
    *"Raspberry Pi Zero 2"*) echo zero2w ;;
    *) echo "" ;;
  esac
}

installed() { # installed PACKAGE (real root only)
  [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true)" = "ii " ]
}

systemd_running() { [ -d /run/systemd/system ]; }

# ---------------------------------------------------------------------------------------------------- install

install_packages() {
  local codename gpiod
  codename=$(release)
  case $codename in
    bookworm) gpiod=libgpiod2 ;; # libgpiod 1.6 (System.Device.Gpio's "libgpiod" driver)
    trixie) gpiod=libgpiod3 ;;   # libgpiod 2.x (its "libgpiod2" driver)
    "") fail "cannot tell the release: no VERSION_CODENAME in $R/etc/os-release" ;;
    *) fail "unsupported release '$codename' (bookworm or trixie: Raspberry Pi OS or Debian 12/13)" ;;
  esac
  say "release: $codename"
  # Both releases ship PocketSphinx 0.8 (libpocketsphinx3); jq merges the configuration below.
  local pkgs=("$gpiod" alsa-utils libpocketsphinx3 pocketsphinx-en-us espeak-ng jq)
  [ "$mosquitto" = 0 ] || pkgs+=(mosquitto)
  if [ "$fake" = 1 ]; then
    external apt-get install -y "${pkgs[@]}"
    return
  fi
  local missing=() p
  for p in "${pkgs[@]}"; do
    installed "$p" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    change "run: apt-get update" apt-get update -qq
    change "run: apt-get install -y ${missing[*]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

install_user() {
  local created_groups g list
  created_groups=$(state_get created_groups)
  new_state[created_user]=$(state_get created_user)
  for g in "${groups[@]}"; do
    if ! group_exists "$g"; then
      change "create system group $g" shadow groupadd --system "$g"
      created_groups="$created_groups $g"
    fi
  done
  if ! user_exists "$user"; then
    list=$(
      IFS=,
      echo "${groups[*]}"
    )
    group_exists "$user" || created_groups="$created_groups $user"
    change "create system user $user (groups $list, no login, home $var)" \
      shadow useradd --system --user-group --home-dir "$var" --no-create-home --shell /usr/sbin/nologin \
      --comment "EdgeLlm service" --groups "$list" "$user"
    new_state[created_user]=$user
  else
    for g in "${groups[@]}"; do
      if [ "$dry" = 1 ] && ! group_exists "$g"; then
        change "add $user to group $g" true
      elif ! in_group "$g" "$user"; then
        change "add $user to group $g" shadow usermod --append --groups "$g" "$user"
      fi
    done
  fi
  new_state[created_groups]=$(echo "$created_groups" | xargs -n1 2>/dev/null | LC_ALL=C sort -u | xargs || true)
}

install_program() {
  if [ -d "$R$opt" ] && [ "$(cd "$from" && pwd -P)" = "$(cd "$R$opt" && pwd -P)" ]; then
    say "program: $from is $R$opt itself; left as it is"
    return
  fi
  ensure_dir "$opt" 0755 root root
  local rel mode src
  while IFS= read -r -d '' rel; do
    src=$from/$rel
    if [ -L "$src" ]; then
      ensure_link "$(readlink "$src")" "$opt/$rel" && changed_service=1
    elif [ -d "$src" ]; then
      ensure_dir "$opt/$rel" 0755 root root
    else
      mode=0644
      [ ! -x "$src" ] || mode=0755
      ensure_file "$src" "$opt/$rel" "$mode" root root && changed_service=1
    fi
  done < <(cd "$from" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z)
  # Files a previous version installed that this one does not have: the folder mirrors the published program.
  [ -d "$R$opt" ] || return 0
  while IFS= read -r -d '' rel; do
    [ "$opt/$rel" != "$state_file" ] || continue
    if [ ! -e "$from/$rel" ] && [ ! -L "$from/$rel" ] && { [ -e "$R$opt/$rel" ] || [ -L "$R$opt/$rel" ]; }; then
      remove "$opt/$rel" "not in $from"
      changed_service=1
    fi
  done < <(cd "$R$opt" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z)
}

build_config() { # build_config OUT: the service defaults merged with the board profile
  local profile=""
  [ -z "$board" ] || profile=$here/boards/$board/appsettings.json
  # jq's own variable, not the shell's: a deep merge of the files in order (later keys win)
  # shellcheck disable=SC2016
  local filter='reduce .[] as $x ({}; . * $x)'
  [ "$mosquitto" = 0 ] || filter="$filter | .EdgeLlm.Broker = \"127.0.0.1:1883\""
  if [ -n "$profile" ]; then
    jq --indent 2 -s "$filter" "$here/systemd/appsettings.json" "$profile" >"$1"
  else
    jq --indent 2 -s "$filter" "$here/systemd/appsettings.json" >"$1"
  fi
}

install_config() {
  ensure_dir "$etc" 0755 root root
  local p=$etc/appsettings.json gen recorded what
  what="the service defaults"
  [ -z "$board" ] || what="$what + board $board"
  [ "$mosquitto" = 0 ] || what="$what + local mosquitto"
  recorded=$(state_get appsettings_sha256)
  new_state[appsettings_sha256]=$recorded
  if ! command -v jq >/dev/null 2>&1; then
    # only a dry run on a real root gets here: the real run installs jq first
    if [ -e "$R$p" ]; then
      say "would compare $R$p with $what (after installing jq)"
    else
      change "write $R$p (0640 root:$user; $what)" true
    fi
    return
  fi
  gen=$(mktemp)
  build_config "$gen"
  if [ ! -e "$R$p" ] || [ "$(sha "$R$p")" = "$recorded" ]; then
    # absent, or exactly what this script wrote last time: ours to (re)write
    if [ ! -e "$R$p" ] || ! cmp -s "$gen" "$R$p"; then
      [ -e "$R$p" ] || what="new; $what"
      [ ! -e "$R$p" ] || what="not edited since the last install; $what"
      change "write $R$p (0640 root:$user; $what)" copy_file "$gen" "$R$p" 0640 root "$user"
      changed_service=1
    else
      ensure_meta "$p" 0640 root "$user"
    fi
    new_state[appsettings_sha256]=$(sha "$gen")
  elif cmp -s "$gen" "$R$p"; then
    ensure_meta "$p" 0640 root "$user"
    new_state[appsettings_sha256]=$(sha "$gen")
  else
    say "keeping $R$p: it was edited (or not written by $prog); this version's is $R$p.dist"
    ensure_file "$gen" "$p.dist" 0640 root "$user" || true
  fi
  rm -f "$gen"
}

install_unit() {
  if ensure_file "$here/systemd/edgellm.service" "$unit" 0644 root root; then
    changed_service=1
    unit_changed=1
  fi
  if [ "$fake" = 1 ]; then
    [ -d "$R$wants" ] || created_dirs="$created_dirs $wants"
    ensure_dir "$wants" 0755 root root
    ensure_link "$unit" "$wants/edgellm.service" || true
    external systemctl daemon-reload
    external systemctl enable --now edgellm.service
    return
  fi
  if ! systemd_running; then
    systemctl is-enabled --quiet edgellm.service 2>/dev/null ||
      change "run: systemctl enable edgellm.service" systemctl enable --quiet edgellm.service
    say "systemd is not running here: edgellm starts on the next boot"
    return
  fi
  [ "$unit_changed" = 0 ] || change "run: systemctl daemon-reload" systemctl daemon-reload
  systemctl is-enabled --quiet edgellm.service 2>/dev/null ||
    change "run: systemctl enable edgellm.service" systemctl enable --quiet edgellm.service
  if systemctl is-active --quiet edgellm.service; then
    [ "$changed_service" = 0 ] || change "run: systemctl restart edgellm.service" start_service restart
  else
    change "run: systemctl start edgellm.service" start_service start
  fi
}

start_service() {
  systemctl "$1" edgellm.service || fail "edgellm.service did not start: journalctl -u edgellm.service -n 50 says why"
}

write_state() {
  local tmp k
  tmp=$(mktemp)
  {
    echo "# written by hardware/install.sh; install.sh --uninstall reads it"
    for k in created_user created_groups created_dirs appsettings_sha256; do
      [ -z "${new_state[$k]:-}" ] || echo "$k=${new_state[$k]}"
    done
  } >"$tmp"
  if [ ! -f "$R$state_file" ] || ! cmp -s "$tmp" "$R$state_file"; then
    change "record what was installed in $R$state_file" copy_file "$tmp" "$R$state_file" 0644 root root
  fi
  rm -f "$tmp"
}

hints() {
  if [ "$fake" = 1 ] || [ -z "$board" ]; then
    return 0
  fi
  [ -e /dev/i2c-1 ] ||
    say "note: I2C is off (no /dev/i2c-1), so the INA219 cannot be read: sudo raspi-config nonint do_i2c 0, then reboot"
  arecord -l 2>/dev/null | grep -q '^card' ||
    say "note: no capture device (arecord -l lists none): plug in the USB microphone"
}

do_install() {
  if [ "$from_given" = 0 ]; then
    [ -f "$here/edgellm" ] || die "no published program beside $prog: pass --from DIR (a folder with the edgellm executable and models/)"
    [ -x "$here/edgellm" ] ||
      die "no published program beside $prog: pass --from DIR (a folder with the edgellm executable and models/)"
    from=$here
  fi
  [ -d "$from" ] || die "--from $from: no such directory"
  from=$(cd "$from" && pwd -P)
  [ -f "$from/edgellm" ] || die "--from $from: no edgellm executable in it"
  [ -x "$from/edgellm" ] || die "--from $from: edgellm in it is not executable"
  [ -f "$from/models/stories260K-q8_0.gguf" ] || die "--from $from: no models/stories260K-q8_0.gguf in it"
  local f
  for f in systemd/edgellm.service systemd/appsettings.json; do
    [ -f "$here/$f" ] || fail "missing $here/$f: run the install.sh from the repository's hardware/ folder"
  done
  if [ "$board_given" = 0 ]; then
    board=$(detect_board)
    if [ -n "$board" ]; then
      say "board: $board (from $R/proc/device-tree/model)"
    else
      say "board: none given or detected (GPIO stays off; --board pi5|pi4|zero2w chooses one)"
    fi
  else
    say "board: $board"
  fi
  [ -z "$board" ] || [ -f "$here/boards/$board/appsettings.json" ] || fail "missing $here/boards/$board/appsettings.json"
  if [ "$fake" = 1 ] && ! command -v jq >/dev/null 2>&1; then
    fail "jq is needed to write appsettings.json into a fake root: apt-get install jq"
  fi
  [ "$fake" = 0 ] || say "fake root: $R"

  declare -gA new_state=()
  unit_changed=0
  created_dirs=$(state_get created_dirs)
  install_packages
  install_user
  install_program
  install_config
  ensure_dir "$var" 0750 "$user" "$user"
  ensure_dir "$var/models" 0755 "$user" "$user"
  install_unit
  new_state[created_dirs]=$(echo "$created_dirs" | xargs -n1 2>/dev/null | LC_ALL=C sort -u | xargs || true)
  write_state
  hints

  if [ "$changes" = 0 ]; then
    say "nothing to change: EdgeLlm is installed as asked"
  elif [ "$dry" = 1 ]; then
    say "dry run: $changes actions, nothing changed"
  else
    say "installed: $changes changes made"
  fi
}

# -------------------------------------------------------------------------------------------------- uninstall

do_uninstall() {
  [ "$fake" = 0 ] || say "fake root: $R"
  local created_user created_groups g d
  created_user=$(state_get created_user)
  created_groups=$(state_get created_groups)
  created_dirs=$(state_get created_dirs)

  if [ "$fake" = 1 ]; then
    remove "$wants/edgellm.service"
    [ ! -e "$R$unit" ] || external systemctl disable --now edgellm.service
  elif [ -e "$unit" ] && systemd_running; then
    change "run: systemctl disable --now edgellm.service" systemctl disable --now --quiet edgellm.service
  elif [ -e "$unit" ]; then
    change "run: systemctl disable edgellm.service" systemctl disable --quiet edgellm.service
  fi
  if [ -e "$R$unit" ]; then
    remove "$unit"
    if [ "$fake" = 1 ]; then
      external systemctl daemon-reload
    elif systemd_running; then
      change "run: systemctl daemon-reload" systemctl daemon-reload
    fi
  fi
  remove "$opt"

  if [ "$purge" = 1 ]; then
    remove "$var"
    remove "$etc"
  else
    if [ -d "$R$var" ]; then
      local rel
      while IFS= read -r -d '' rel; do
        [ "$rel" = models ] || remove "$var/$rel"
      done < <(cd "$R$var" && find . -mindepth 1 -maxdepth 1 -printf '%P\0' | LC_ALL=C sort -z)
    fi
    [ ! -e "$R$etc" ] || say "keeping $R$etc (--purge removes it)"
    [ ! -e "$R$var/models" ] || say "keeping $R$var/models (--purge removes it)"
  fi

  if [ -n "$created_user" ] && user_exists "$created_user"; then
    change "remove user $created_user" shadow userdel "$created_user"
  elif [ -z "$created_user" ] && user_exists "$user"; then
    say "keeping user $user: $prog did not create it"
  fi
  for g in $created_groups; do
    case $g in edgellm | gpio | i2c | audio | video) ;; *) continue ;; esac
    group_exists "$g" || continue
    local members
    members=$(field "$R/etc/group" "$g" 4 | tr ',' '\n' | grep -vx -- "$user" | paste -sd, - || true)
    if [ -n "$members" ]; then
      say "keeping group $g: $members use it"
    else
      change "remove group $g" shadow groupdel "$g"
    fi
  done
  # folders install had to make above its own (a bare fake root has no /opt): deepest first, and only if empty
  for d in $(echo "$created_dirs" | xargs -n1 2>/dev/null | LC_ALL=C sort -r || true); do
    case $d in /opt | /var | /var/lib | /etc/systemd | /etc/systemd/system | "$wants") ;; *) continue ;; esac
    if [ -d "$R$d" ] && empty_now "$d"; then
      gone[$d]=1
      change "remove $R$d (empty; made by install)" rmdir "$R$d"
    fi
  done
  say "packages stay installed (other programs may use them)"

  if [ "$changes" = 0 ]; then
    say "nothing to remove: EdgeLlm is not installed"
  elif [ "$dry" = 1 ]; then
    say "dry run: $changes actions, nothing changed"
  else
    say "uninstalled: $changes changes made"
  fi
}

if [ "$uninstall" = 1 ]; then
  do_uninstall
else
  do_install
fi
