{
  # Sources come from native/sources.txt (shared with CMakeLists.txt).
  'targets': [
    {
      'target_name': 'switchboard',
      'sources': ['<!@(node scripts/native-sources.js)'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")", 'native'],
      'defines': [
        'NAPI_VERSION=8',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
        'NODE_ADDON_API_CPP_EXCEPTIONS',
        'BOOST_BEAST_USE_STD_STRING_VIEW',
        'BOOST_ASIO_NO_DEPRECATED',
      ],
      'cflags!': ['-fno-exceptions', '-fno-rtti'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
      'cflags_cc': ['-std=c++17', '-fexceptions', '-O2', '-fvisibility=hidden', '-Wall', '-Wno-unused-parameter'],
      'libraries': ['-lsqlite3', '-lcurl', '-lpthread'],
    },
  ],
}
