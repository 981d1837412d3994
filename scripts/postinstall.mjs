// placeholder replaced below once the build pieces exist
