; Inno Setup script: the Windows installer of Recepcja, built from the PyInstaller bundle.
;
; Build on Windows (from the repository root):
;   .venv\Scripts\pyinstaller --noconfirm --distpath dist --workpath build installer\recepcja.spec
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" installer\recepcja.iss
; Result: dist\recepcja-<version>-setup.exe.
;
; Per-machine install into Program Files ({autopf}), Start-menu entries (the app, training mode,
; uninstall), an uninstaller, Polish and English setup screens. The practice's data lives in each
; user's %LOCALAPPDATA%\Recepcja (or RECEPCJA_HOME) and is never touched by install, upgrade or
; uninstall - see docs\ADMIN.md.
;
; tests/e2e/test_installer.py checks that every Source below exists after a build and that
; AppVersion matches the package version: bump it together with pyproject.toml.

#define AppName "Recepcja"
#define AppVersion "0.1.0"
#define AppPublisher "Recepcja"
#define WindowExe "recepcja-window.exe"

[Setup]
; The AppId identifies the product for upgrades and the uninstaller: never change it.
AppId={{29526801-4A57-4879-8BD5-205A9F0C0A4E}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist
OutputBaseFilename=recepcja-{#AppVersion}-setup
SetupIconFile=..\resources\icons\recepcja.ico
UninstallDisplayIcon={app}\{#WindowExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; Closing a running copy before files are replaced (the bundle's DLLs are in use while it runs).
CloseApplications=yes

[Languages]
Name: "polish"; MessagesFile: "compiler:Languages\Polish.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
polish.TrainingMode=tryb szkoleniowy
english.TrainingMode=training mode
polish.AdminGuide=Podręcznik administratora
english.AdminGuide=Administrator's guide

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: recepcja.exe (console: the CLI), recepcja-window.exe (no console:
; the window), and _internal\ with Python, Qt and the app's resources.
Source: "..\dist\recepcja\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\docs\ADMIN.md"; DestDir: "{app}\docs"; Flags: ignoreversion
Source: "..\docs\ADMIN.pl.md"; DestDir: "{app}\docs"; Flags: ignoreversion
Source: "..\docs\CLI.md"; DestDir: "{app}\docs"; Flags: ignoreversion
Source: "..\resources\icons\recepcja.ico"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#WindowExe}"; IconFilename: "{app}\recepcja.ico"
Name: "{group}\{#AppName} ({cm:TrainingMode})"; Filename: "{app}\{#WindowExe}"; Parameters: "--training"; IconFilename: "{app}\recepcja.ico"
Name: "{group}\{cm:AdminGuide}"; Filename: "{app}\docs\ADMIN.pl.md"; Languages: polish
Name: "{group}\{cm:AdminGuide}"; Filename: "{app}\docs\ADMIN.md"; Languages: english
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#WindowExe}"; IconFilename: "{app}\recepcja.ico"; Tasks: desktopicon

[Run]
Filename: "{app}\{#WindowExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

