# Registers Switchboard.exe (in the same folder as this script) as the
# handler for sip:, sips:, tel: and callto: links, for the current user
# only (HKCU; no administrator rights needed):
#
#   powershell -ExecutionPolicy Bypass -File register-links.ps1           # register
#   powershell -ExecutionPolicy Bypass -File register-links.ps1 -Remove   # undo
#
# Windows 10/11 may still ask once which app should open such links (or
# set it in Settings > Apps > Default apps > "Choose defaults by link type").
# A second click while Switchboard runs hands the link to the open window.
param([switch]$Remove)
$ErrorActionPreference = 'Stop'
$exe = Join-Path $PSScriptRoot 'Switchboard.exe'
if (-not $Remove -and -not (Test-Path $exe)) { throw "Switchboard.exe not found next to this script ($exe)" }
foreach ($scheme in 'sip', 'sips', 'tel', 'callto') {
    $key = "HKCU:\Software\Classes\$scheme"
    if ($Remove) {
        if (Test-Path $key) { Remove-Item -Path $key -Recurse -Force }
        continue
    }
    New-Item -Path "$key\shell\open\command" -Force | Out-Null
    New-Item -Path "$key\DefaultIcon" -Force | Out-Null
    Set-Item -Path $key -Value "URL:$scheme link"
    New-ItemProperty -Path $key -Name 'URL Protocol' -Value '' -PropertyType String -Force | Out-Null
    Set-Item -Path "$key\DefaultIcon" -Value "`"$exe`",0"
    Set-Item -Path "$key\shell\open\command" -Value "`"$exe`" `"%1`""
}
if ($Remove) { "Switchboard no longer handles sip:, sips:, tel: and callto: links." }
else { "Switchboard now handles sip:, sips:, tel: and callto: links ($exe)." }
